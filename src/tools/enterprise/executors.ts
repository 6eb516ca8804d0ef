// Deterministic, stateful mock implementations of the sample enterprise tools. Booking a room makes it
// busy, a leave request lowers the balance, a cancelled order stays cancelled; invalid arguments and
// impossible requests come back as typed errors. No clock, no randomness: results depend only on the
// world's seed and the calls made so far, so chains can be checked by running them.

import { ArgumentValidator } from '../validate-args.ts';
import type { ToolCall } from '../types.ts';
import {
  canonicalJson, ToolExecutionError, type ToolEnvironment, type ToolResult, type ToolWorld,
} from '../environment.ts';
import { ENTERPRISE_TOOLS } from './tool-set.ts';
import {
  addDays, DEFAULT_WORLD, findCity, LEAVE_TYPES,
  type Booking, type CalendarEvent, type Employee, type ExpenseReport, type ItTicket, type LeaveType,
  type Order, type WorldData,
} from './world.ts';

export interface LeaveRequest {
  id: string; // 'LR-0001'
  employeeId: string;
  leaveType: LeaveType;
  startDate: string;
  endDate: string;
  days: number;
  reason: string;
  status: 'approved';
}

type Args = Record<string, unknown>;
type Executor = (world: EnterpriseWorld, args: Args) => unknown;

const WEATHER = [
  { en: 'sunny', zh: '晴' }, { en: 'partly cloudy', zh: '多云' }, { en: 'overcast', zh: '阴' },
  { en: 'light rain', zh: '小雨' }, { en: 'thunderstorm', zh: '雷阵雨' }, { en: 'heavy rain', zh: '大雨' },
];

/** FNV-1a: a stable small hash so the weather for (city, date) never changes. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const fail = (type: ConstructorParameters<typeof ToolExecutionError>[0], message: string): never => {
  throw new ToolExecutionError(type, message);
};

/** Mon-Fri days between two dates, inclusive (leave is not charged for weekends). */
function workingDays(start: string, end: string): number {
  let n = 0;
  for (let d = start; d <= end; d = addDays(d, 1)) {
    const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
    if (dow !== 0 && dow !== 6) n++;
  }
  return n;
}

function checkSlot(startTime: string, endTime: string): void {
  if (startTime >= endTime) fail('invalid_request', `endTime ${endTime} must be after startTime ${startTime}`);
}

const overlaps = (a: { startTime: string; endTime: string }, b: { startTime: string; endTime: string }) =>
  a.startTime < b.endTime && b.startTime < a.endTime;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Mutable state of one run, seeded from WorldData. */
export class EnterpriseWorld implements ToolWorld {
  readonly data: WorldData;
  readonly leaveBalance = new Map<string, Record<LeaveType, number>>();
  readonly leaveRequests: LeaveRequest[] = [];
  readonly bookings: Booking[];
  readonly events: CalendarEvent[];
  readonly orders: Order[];
  readonly tickets: ItTicket[];
  readonly expenses: ExpenseReport[];
  private readonly counters: Record<string, number>;
  private readonly validator: ArgumentValidator;

  constructor(data: WorldData = DEFAULT_WORLD, validator = sharedValidator()) {
    this.data = data;
    this.validator = validator;
    for (const e of data.employees) this.leaveBalance.set(e.id, { ...e.leaveBalance });
    this.bookings = structuredClone(data.bookings);
    this.events = structuredClone(data.events);
    this.orders = structuredClone(data.orders);
    this.tickets = structuredClone(data.tickets);
    this.expenses = structuredClone(data.expenses);
    // Bookings can be cancelled, so their ids come from a counter; other records are only ever added.
    this.counters = { LR: 0, BK: data.bookings.length };
  }

  private nextId(prefix: string): string {
    this.counters[prefix]++;
    return `${prefix}-${String(this.counters[prefix]).padStart(4, '0')}`;
  }

  employee(id: unknown): Employee {
    return this.data.employees.find((e) => e.id === id) ?? fail('not_found', `no employee with id ${JSON.stringify(id)}`);
  }

  execute(call: ToolCall): ToolResult {
    const run = EXECUTORS[call.name];
    if (!run) return { ok: false, error: { type: 'unknown_tool', message: `unknown tool "${call.name}"` } };
    const check = this.validator.check(call);
    if (!check.valid) {
      return { ok: false, error: { type: 'invalid_arguments', message: check.errors.map((e) => e.message).join('; ') } };
    }
    try {
      return { ok: true, result: run(this, call.arguments) };
    } catch (e) {
      if (e instanceof ToolExecutionError) return { ok: false, error: { type: e.type, message: `${call.name}: ${e.message}` } };
      throw e;
    }
  }

  snapshot(): unknown {
    // Counters are left out on purpose: two chains that reach the same records are equivalent.
    return JSON.parse(canonicalJson({
      leaveBalance: Object.fromEntries(this.leaveBalance), leaveRequests: this.leaveRequests, bookings: this.bookings,
      events: this.events, orders: this.orders.map((o) => ({ id: o.id, status: o.status })), tickets: this.tickets,
      expenses: this.expenses,
    }));
  }

  // --- the tools ---------------------------------------------------------------------------------

  addLeaveRequest(a: Args): LeaveRequest & { remaining: number } {
    const emp = this.employee(a.employeeId);
    const type = a.leaveType as LeaveType;
    const start = a.startDate as string;
    const end = a.endDate as string;
    if (end < start) fail('invalid_request', `endDate ${end} is before startDate ${start}`);
    if (start < this.data.today) fail('invalid_request', `startDate ${start} is in the past (today is ${this.data.today})`);
    const days = workingDays(start, end);
    if (days === 0) fail('invalid_request', `${start}..${end} has no working days`);
    if (this.leaveRequests.some((r) => r.employeeId === emp.id && r.startDate <= end && start <= r.endDate)) {
      fail('conflict', `${emp.id} already has leave overlapping ${start}..${end}`);
    }
    const balance = this.leaveBalance.get(emp.id)!;
    if (balance[type] < days) fail('insufficient_balance', `${emp.id} has ${balance[type]} ${type} leave days left, ${days} requested`);
    balance[type] -= days;
    const req: LeaveRequest = {
      id: this.nextId('LR'), employeeId: emp.id, leaveType: type, startDate: start, endDate: end, days,
      reason: str(a.reason) ?? '', status: 'approved',
    };
    this.leaveRequests.push(req);
    return { ...req, remaining: balance[type] };
  }

  freeRooms(a: Args) {
    const date = a.date as string;
    const slot = { startTime: a.startTime as string, endTime: a.endTime as string };
    checkSlot(slot.startTime, slot.endTime);
    let cityId: string | undefined;
    if (a.city !== undefined) cityId = (findCity(this.data.cities, a.city as string) ?? fail('not_found', `no office in city ${JSON.stringify(a.city)}`)).id;
    const need = (a.equipment as string[] | undefined) ?? [];
    return this.data.rooms
      .filter((r) => (cityId === undefined || r.cityId === cityId) && r.capacity >= ((a.minCapacity as number | undefined) ?? 1))
      .filter((r) => need.every((x) => r.equipment.includes(x)))
      .filter((r) => !this.bookings.some((b) => b.roomId === r.id && b.date === date && overlaps(b, slot)))
      .map((r) => ({ roomId: r.id, name: r.name, building: r.building, floor: r.floor, capacity: r.capacity, equipment: r.equipment }));
  }

  book(a: Args): Booking {
    const room = this.data.rooms.find((r) => r.id === a.roomId) ?? fail('not_found', `no meeting room with id ${JSON.stringify(a.roomId)}`);
    const organizer = this.employee(a.organizerId);
    const slot = { startTime: a.startTime as string, endTime: a.endTime as string };
    checkSlot(slot.startTime, slot.endTime);
    const date = a.date as string;
    if (date < this.data.today) fail('invalid_request', `date ${date} is in the past (today is ${this.data.today})`);
    const clash = this.bookings.find((b) => b.roomId === room.id && b.date === date && overlaps(b, slot));
    if (clash) fail('conflict', `room ${room.id} is already booked ${clash.startTime}-${clash.endTime} on ${date}`);
    const booking: Booking = { id: this.nextId('BK'), roomId: room.id, date, ...slot, title: str(a.title) ?? 'Meeting', organizerId: organizer.id };
    this.bookings.push(booking);
    return booking;
  }
}

const EXECUTORS: Record<string, Executor> = {
  queryWeather(w, a) {
    const city = findCity(w.data.cities, a.city as string) ?? fail('not_found', `no weather data for city ${JSON.stringify(a.city)}`);
    const date = str(a.date) ?? w.data.today;
    if (date < addDays(w.data.today, -30) || date > addDays(w.data.today, 14)) {
      fail('invalid_request', `weather is available from ${addDays(w.data.today, -30)} to ${addDays(w.data.today, 14)}, not ${date}`);
    }
    const h = hash(`${city.id}|${date}`);
    const cond = WEATHER[h % WEATHER.length];
    const highC = city.baseTempC + ((h >>> 8) % 7) - 3;
    const lowC = highC - 5 - ((h >>> 16) % 5);
    const f = (c: number) => Math.round(c * 1.8 + 32);
    const fahrenheit = a.unit === 'fahrenheit';
    return {
      city: city.nameEn, cityZh: city.nameZh, date, condition: cond.en, conditionZh: cond.zh,
      high: fahrenheit ? f(highC) : highC, low: fahrenheit ? f(lowC) : lowC, unit: fahrenheit ? 'fahrenheit' : 'celsius',
      humidity: 40 + ((h >>> 4) % 50),
    };
  },
  getLeaveBalance(w, a) {
    const emp = w.employee(a.employeeId);
    const balance = w.leaveBalance.get(emp.id)!;
    if (a.leaveType !== undefined) return { employeeId: emp.id, leaveType: a.leaveType, days: balance[a.leaveType as LeaveType] };
    return { employeeId: emp.id, balances: Object.fromEntries(LEAVE_TYPES.map((t) => [t, balance[t]])) };
  },
  submitLeaveRequest(w, a) {
    const r = w.addLeaveRequest(a);
    return { requestId: r.id, status: r.status, days: r.days, remainingDays: r.remaining };
  },
  searchMeetingRooms(w, a) {
    return { rooms: w.freeRooms(a) };
  },
  bookMeetingRoom(w, a) {
    const b = w.book(a);
    return { bookingId: b.id, roomId: b.roomId, date: b.date, startTime: b.startTime, endTime: b.endTime };
  },
  cancelMeetingBooking(w, a) {
    const i = w.bookings.findIndex((b) => b.id === a.bookingId);
    if (i < 0) fail('not_found', `no booking with id ${JSON.stringify(a.bookingId)}`);
    const [b] = w.bookings.splice(i, 1);
    return { bookingId: b.id, cancelled: true };
  },
  getCalendarEvents(w, a) {
    const emp = w.employee(a.employeeId);
    const events = w.events
      .filter((e) => e.date === a.date && (e.employeeId === emp.id || e.attendees.includes(emp.id)))
      .sort((x, y) => (x.startTime < y.startTime ? -1 : 1));
    return { employeeId: emp.id, date: a.date, events };
  },
  createCalendarEvent(w, a) {
    const emp = w.employee(a.employeeId);
    const attendees = ((a.attendees as string[] | undefined) ?? []).map((id) => w.employee(id).id);
    checkSlot(a.startTime as string, a.endTime as string);
    const ev: CalendarEvent = {
      id: `EV-${String(w.events.length + 1).padStart(4, '0')}`, employeeId: emp.id, title: a.title as string,
      date: a.date as string, startTime: a.startTime as string, endTime: a.endTime as string, attendees,
    };
    // Ids are never reused: events are only added, so length+1 is fresh.
    w.events.push(ev);
    return { eventId: ev.id };
  },
  searchEmployees(w, a) {
    const name = str(a.name)?.trim().toLowerCase();
    const dept = str(a.department)?.trim().toLowerCase();
    if (!name && !dept) fail('invalid_request', 'give a name or a department to search for');
    let deptIds: Set<string> | undefined;
    if (dept) {
      deptIds = new Set(w.data.departments.filter((d) => [d.id, d.nameEn, d.nameZh].some((n) => n.toLowerCase().includes(dept))).map((d) => d.id));
      if (deptIds.size === 0) fail('not_found', `no department matches ${JSON.stringify(a.department)}`);
    }
    const found = w.data.employees.filter((e) =>
      (!name || e.nameZh.includes(name) || e.nameEn.toLowerCase().includes(name) || `${e.nameEn.split(' ')[1]} ${e.nameEn.split(' ')[0]}`.toLowerCase().includes(name)) &&
      (!deptIds || deptIds.has(e.departmentId)));
    return { employees: found.map((e) => ({ employeeId: e.id, nameZh: e.nameZh, nameEn: e.nameEn, department: deptName(w, e), title: e.title, email: e.email })) };
  },
  getEmployeeInfo(w, a) {
    const e = w.employee(a.employeeId);
    const city = w.data.cities.find((c) => c.id === e.cityId)!;
    return {
      employeeId: e.id, nameZh: e.nameZh, nameEn: e.nameEn, department: deptName(w, e), title: e.title,
      email: e.email, phone: e.phone, city: city.nameEn, managerId: e.managerId,
    };
  },
  queryOrderStatus(w, a) {
    const o = w.orders.find((x) => x.id === a.orderId) ?? fail('not_found', `no order with id ${JSON.stringify(a.orderId)}`);
    return { ...o };
  },
  cancelOrder(w, a) {
    const o = w.orders.find((x) => x.id === a.orderId) ?? fail('not_found', `no order with id ${JSON.stringify(a.orderId)}`);
    if (o.status === 'cancelled') fail('conflict', `order ${o.id} is already cancelled`);
    if (o.status === 'shipped' || o.status === 'delivered') fail('conflict', `order ${o.id} has already been ${o.status} and cannot be cancelled`);
    o.status = 'cancelled';
    return { orderId: o.id, status: o.status };
  },
  createItTicket(w, a) {
    const emp = w.employee(a.employeeId);
    const t: ItTicket = {
      id: `IT-${String(w.tickets.length + 1).padStart(4, '0')}`, employeeId: emp.id, category: a.category as ItTicket['category'],
      priority: (a.priority as ItTicket['priority'] | undefined) ?? 'medium', description: a.description as string,
      status: 'open', createdDate: w.data.today,
    };
    w.tickets.push(t);
    return { ticketId: t.id, status: t.status, priority: t.priority };
  },
  getItTicketStatus(w, a) {
    const t = w.tickets.find((x) => x.id === a.ticketId) ?? fail('not_found', `no IT ticket with id ${JSON.stringify(a.ticketId)}`);
    return { ...t };
  },
  submitExpenseReport(w, a) {
    const emp = w.employee(a.employeeId);
    if ((a.date as string) > w.data.today) fail('invalid_request', `date ${a.date} is in the future (today is ${w.data.today})`);
    const r: ExpenseReport = {
      id: `EXP-${String(w.expenses.length + 1).padStart(4, '0')}`, employeeId: emp.id, amount: a.amount as number,
      currency: (a.currency as ExpenseReport['currency'] | undefined) ?? 'CNY', category: a.category as ExpenseReport['category'],
      date: a.date as string, description: str(a.description) ?? '', status: 'submitted',
    };
    w.expenses.push(r);
    return { reportId: r.id, status: r.status };
  },
  listExpenseReports(w, a) {
    const emp = w.employee(a.employeeId);
    return { reports: w.expenses.filter((r) => r.employeeId === emp.id && (a.status === undefined || r.status === a.status)) };
  },
};

let shared: ArgumentValidator | undefined;
/** One validator for every world: compiling 16 schemas per world would dominate short rollouts. */
function sharedValidator(): ArgumentValidator {
  return (shared ??= new ArgumentValidator(ENTERPRISE_TOOLS));
}

function deptName(w: EnterpriseWorld, e: Employee): string {
  return w.data.departments.find((d) => d.id === e.departmentId)!.nameEn;
}

/** Names that have an executor (all the sample tools). */
export const ENTERPRISE_EXECUTOR_NAMES: ReadonlySet<string> = new Set(Object.keys(EXECUTORS));

/** Fresh enterprise worlds on demand, for chain checks and rewards. */
export function enterpriseEnvironment(data: WorldData = DEFAULT_WORLD): ToolEnvironment {
  return { toolNames: ENTERPRISE_EXECUTOR_NAMES, create: () => new EnterpriseWorld(data) };
}
