// Mock executors: state changes (bookings, leave balances, orders), typed errors, determinism.

import { describe, expect, it } from 'vitest';
import { EnterpriseWorld, enterpriseEnvironment, ENTERPRISE_EXECUTOR_NAMES } from '../../../src/tools/enterprise/executors.ts';
import { ENTERPRISE_TOOL_NAMES } from '../../../src/tools/enterprise/tool-set.ts';
import { DEFAULT_WORLD } from '../../../src/tools/enterprise/world.ts';
import { canonicalJson } from '../../../src/tools/environment.ts';

const emp = DEFAULT_WORLD.employees[3];

describe('enterprise executors', () => {
  it('cover every sample tool', () => {
    expect([...ENTERPRISE_EXECUTOR_NAMES].sort()).toEqual([...ENTERPRISE_TOOL_NAMES].sort());
  });

  it('booking a room makes it busy; cancelling frees it', () => {
    const w = new EnterpriseWorld();
    const slot = { date: '2025-06-09', startTime: '14:00', endTime: '15:00' };
    const free = w.execute({ name: 'searchMeetingRooms', arguments: { ...slot, city: 'Beijing' } });
    expect(free.ok).toBe(true);
    const rooms = (free as { result: { rooms: { roomId: string }[] } }).result.rooms;
    expect(rooms.length).toBeGreaterThan(0);
    const roomId = rooms[0].roomId;
    const booked = w.execute({ name: 'bookMeetingRoom', arguments: { roomId, ...slot, title: 'Design review', organizerId: emp.id } });
    expect(booked).toMatchObject({ ok: true, result: { roomId, date: '2025-06-09' } });
    const again = w.execute({ name: 'bookMeetingRoom', arguments: { roomId, date: '2025-06-09', startTime: '14:30', endTime: '16:00', organizerId: emp.id } });
    expect(again).toMatchObject({ ok: false, error: { type: 'conflict' } });
    const after = w.execute({ name: 'searchMeetingRooms', arguments: { ...slot, city: '北京' } }) as { result: { rooms: { roomId: string }[] } };
    expect(after.result.rooms.map((r) => r.roomId)).not.toContain(roomId);
    const bookingId = (booked as { result: { bookingId: string } }).result.bookingId;
    expect(w.execute({ name: 'cancelMeetingBooking', arguments: { bookingId } }).ok).toBe(true);
    expect(w.execute({ name: 'cancelMeetingBooking', arguments: { bookingId } })).toMatchObject({ ok: false, error: { type: 'not_found' } });
  });

  it('a leave request lowers the balance by the working days, and refuses more than is left', () => {
    const w = new EnterpriseWorld();
    const before = emp.leaveBalance.annual;
    // 2025-06-09 (Mon) .. 2025-06-10 (Tue) = 2 working days.
    const r = w.execute({ name: 'submitLeaveRequest', arguments: { employeeId: emp.id, leaveType: 'annual', startDate: '2025-06-09', endDate: '2025-06-10' } });
    expect(r).toMatchObject({ ok: true, result: { days: 2, remainingDays: before - 2 } });
    expect(w.execute({ name: 'getLeaveBalance', arguments: { employeeId: emp.id, leaveType: 'annual' } })).toMatchObject({ ok: true, result: { days: before - 2 } });
    // A weekend-spanning request charges weekdays only: Fri 13 .. Mon 16 = 2 days.
    const weekend = w.execute({ name: 'submitLeaveRequest', arguments: { employeeId: emp.id, leaveType: 'annual', startDate: '2025-06-13', endDate: '2025-06-16' } });
    expect(weekend).toMatchObject({ ok: true, result: { days: 2 } });
    const tooLong = w.execute({ name: 'submitLeaveRequest', arguments: { employeeId: emp.id, leaveType: 'annual', startDate: '2025-07-01', endDate: '2025-08-29' } });
    expect(tooLong).toMatchObject({ ok: false, error: { type: 'insufficient_balance' } });
    const overlap = w.execute({ name: 'submitLeaveRequest', arguments: { employeeId: emp.id, leaveType: 'sick', startDate: '2025-06-10', endDate: '2025-06-11' } });
    expect(overlap).toMatchObject({ ok: false, error: { type: 'conflict' } });
    // The original world data is untouched: a fresh world starts from the seed again.
    expect(new EnterpriseWorld().leaveBalance.get(emp.id)!.annual).toBe(before);
  });

  it('returns typed errors for invalid arguments, unknown ids and unknown tools', () => {
    const w = new EnterpriseWorld();
    expect(w.execute({ name: 'submitLeaveRequest', arguments: { employeeId: emp.id, leaveType: 'holiday', startDate: '2025-06-09', endDate: '2025-06-10' } }))
      .toMatchObject({ ok: false, error: { type: 'invalid_arguments' } });
    expect(w.execute({ name: 'getEmployeeInfo', arguments: { employeeId: 'E9999' } })).toMatchObject({ ok: false, error: { type: 'not_found' } });
    expect(w.execute({ name: 'queryWeather', arguments: { city: 'Atlantis' } })).toMatchObject({ ok: false, error: { type: 'not_found' } });
    expect(w.execute({ name: 'teleport', arguments: {} })).toMatchObject({ ok: false, error: { type: 'unknown_tool' } });
    expect(w.execute({ name: 'bookMeetingRoom', arguments: { roomId: DEFAULT_WORLD.rooms[0].id, date: '2025-06-09', startTime: '15:00', endTime: '14:00', organizerId: emp.id } }))
      .toMatchObject({ ok: false, error: { type: 'invalid_request' } });
  });

  it('cancels an unshipped order once, never a shipped one', () => {
    const w = new EnterpriseWorld();
    const open = DEFAULT_WORLD.orders.find((o) => o.status === 'pending' || o.status === 'paid')!;
    const shipped = DEFAULT_WORLD.orders.find((o) => o.status === 'shipped' || o.status === 'delivered')!;
    expect(w.execute({ name: 'cancelOrder', arguments: { orderId: open.id } })).toMatchObject({ ok: true, result: { status: 'cancelled' } });
    expect(w.execute({ name: 'queryOrderStatus', arguments: { orderId: open.id } })).toMatchObject({ ok: true, result: { status: 'cancelled' } });
    expect(w.execute({ name: 'cancelOrder', arguments: { orderId: open.id } })).toMatchObject({ ok: false, error: { type: 'conflict' } });
    expect(w.execute({ name: 'cancelOrder', arguments: { orderId: shipped.id } })).toMatchObject({ ok: false, error: { type: 'conflict' } });
  });

  it('is deterministic: the same calls give the same results and the same final state', () => {
    const env = enterpriseEnvironment();
    const calls = [
      { name: 'queryWeather', arguments: { city: '上海', date: '2025-06-03' } },
      { name: 'createItTicket', arguments: { employeeId: emp.id, category: 'network', description: 'VPN drops' } },
      { name: 'submitExpenseReport', arguments: { employeeId: emp.id, amount: 88.5, category: 'meals', date: '2025-06-01' } },
      { name: 'searchEmployees', arguments: { name: emp.nameZh } },
    ];
    const run = () => {
      const w = env.create();
      return { results: calls.map((c) => w.execute(c)), state: canonicalJson(w.snapshot()) };
    };
    const a = run();
    expect(a.results.every((r) => r.ok)).toBe(true);
    expect(run()).toEqual(a);
    expect(a.state).not.toBe(canonicalJson(env.create().snapshot()));
    expect((a.results[3] as { result: { employees: { employeeId: string }[] } }).result.employees.map((e) => e.employeeId)).toContain(emp.id);
  });
});
