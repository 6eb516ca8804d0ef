// Rejected answers for reward-model pairs, one kind of mistake each: the wrong tool, a wrong value,
// a missing required parameter, a malformed call, or a tool that does not exist.

import { printCallString } from '../../tools/call-string.ts';
import { ENTERPRISE_TOOLS } from '../../tools/enterprise/tool-set.ts';
import type { ToolCall } from '../../tools/types.ts';
import type { Rng } from '../../util/rng.ts';
import { addDays } from '../../tools/enterprise/world.ts';

export type RejectionKind = 'wrong-tool' | 'wrong-value' | 'missing-required' | 'malformed' | 'hallucinated-tool';
export const REJECTION_KINDS: readonly RejectionKind[] = ['wrong-tool', 'wrong-value', 'missing-required', 'malformed', 'hallucinated-tool'];

export type CallFormat = 'call-string' | 'json';

/** Tools that are easy to confuse with each other (the mistake a small model actually makes). */
const CONFUSABLE: Record<string, string> = {
  queryWeather: 'getCalendarEvents',
  getLeaveBalance: 'submitLeaveRequest',
  submitLeaveRequest: 'getLeaveBalance',
  searchMeetingRooms: 'bookMeetingRoom',
  bookMeetingRoom: 'searchMeetingRooms',
  cancelMeetingBooking: 'cancelOrder',
  getCalendarEvents: 'createCalendarEvent',
  createCalendarEvent: 'getCalendarEvents',
  searchEmployees: 'getEmployeeInfo',
  getEmployeeInfo: 'searchEmployees',
  queryOrderStatus: 'cancelOrder',
  cancelOrder: 'queryOrderStatus',
  createItTicket: 'getItTicketStatus',
  getItTicketStatus: 'createItTicket',
  submitExpenseReport: 'listExpenseReports',
  listExpenseReports: 'submitExpenseReport',
};

/** Plausible names that are not in the tool set. */
const HALLUCINATED: Record<string, string> = {
  queryWeather: 'getWeatherForecast',
  getLeaveBalance: 'checkVacationDays',
  submitLeaveRequest: 'applyForLeave',
  searchMeetingRooms: 'findRoom',
  bookMeetingRoom: 'reserveRoom',
  cancelMeetingBooking: 'deleteBooking',
  getCalendarEvents: 'getSchedule',
  createCalendarEvent: 'addEvent',
  searchEmployees: 'lookupPerson',
  getEmployeeInfo: 'getUserProfile',
  queryOrderStatus: 'trackOrder',
  cancelOrder: 'refundOrder',
  createItTicket: 'reportIssue',
  getItTicketStatus: 'checkTicket',
  submitExpenseReport: 'fileExpense',
  listExpenseReports: 'getExpenses',
};

const REQUIRED = new Map(ENTERPRISE_TOOLS.map((t) => [t.function.name, (t.function.parameters.required as string[] | undefined) ?? []]));
const CITY_SWAP: Record<string, string> = { 北京: '上海', 上海: '北京', 深圳: '广州', 广州: '深圳', 杭州: '成都', 成都: '杭州', 武汉: '北京', 新加坡: '伦敦', 伦敦: '新加坡' };

export function formatCalls(calls: ToolCall[], format: CallFormat): string {
  if (format === 'call-string') return printCallString(calls);
  const one = (c: ToolCall) => ({ tool_call: { tool_name: c.name, parameters: c.arguments } });
  return JSON.stringify(calls.length === 1 ? one(calls[0]) : calls.map(one));
}

/** A changed value of the same type: another day, city, id, number or word. */
function wrongValue(key: string, value: unknown, rng: Rng): unknown {
  if (typeof value === 'number') return value + 1 + rng.int(5);
  if (typeof value !== 'string') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return addDays(value, rng.pick([-1, 1, 7]));
  if (/^\d{2}:\d{2}$/.test(value)) return value.replace(/^(\d{2})/, (h) => String((Number(h) + 1) % 24).padStart(2, '0'));
  if (/^E\d{4}$/.test(value)) return `E${1001 + ((Number(value.slice(1)) - 1000) % 32)}`;
  const id = /^([A-Z]+-)(\d+)$/.exec(value);
  // The neighbour below: training ids are the low ones, so this never names a held-out entity.
  if (id) return `${id[1]}${String(Number(id[2]) > 1 ? Number(id[2]) - 1 : Number(id[2]) + 1).padStart(id[2].length, '0')}`;
  if (CITY_SWAP[value]) return CITY_SWAP[value];
  if (key === 'city') return value === 'Beijing' ? 'Shanghai' : 'Beijing';
  const enums: Record<string, string[]> = { leaveType: ['annual', 'sick', 'personal'], category: ['hardware', 'software', 'network', 'account', 'travel', 'meals'] };
  if (enums[key]) return enums[key].find((v) => v !== value);
  return undefined;
}

/** A rejected answer of the given kind; falls back to another kind when this call cannot show it. */
export function rejectCalls(calls: ToolCall[], kind: RejectionKind, format: CallFormat, rng: Rng): { kind: RejectionKind; text: string } {
  const [first, ...rest] = calls;
  const copy = (c: ToolCall): ToolCall => ({ name: c.name, arguments: { ...c.arguments } });
  switch (kind) {
    case 'wrong-tool':
      return { kind, text: formatCalls([{ name: CONFUSABLE[first.name] ?? 'queryWeather', arguments: { ...first.arguments } }, ...rest], format) };
    case 'hallucinated-tool':
      return { kind, text: formatCalls([{ name: HALLUCINATED[first.name] ?? `${first.name}V2`, arguments: { ...first.arguments } }, ...rest], format) };
    case 'wrong-value': {
      const c = copy(first);
      const keys = rng.shuffle(Object.keys(c.arguments));
      for (const key of keys) {
        const v = wrongValue(key, c.arguments[key], rng);
        if (v !== undefined && v !== c.arguments[key]) {
          c.arguments[key] = v;
          return { kind, text: formatCalls([c, ...rest], format) };
        }
      }
      return rejectCalls(calls, 'wrong-tool', format, rng);
    }
    case 'missing-required': {
      const present = (REQUIRED.get(first.name) ?? []).filter((k) => k in first.arguments);
      if (present.length === 0) return rejectCalls(calls, 'hallucinated-tool', format, rng);
      const c = copy(first);
      delete c.arguments[rng.pick(present)];
      return { kind, text: formatCalls([c, ...rest], format) };
    }
    case 'malformed': {
      const text = formatCalls(calls, format);
      if (format === 'json') return { kind, text: text.slice(0, text.length - 2) }; // unbalanced braces
      const noComma = text.replace(', ', ' ');
      return { kind, text: rng.next() < 0.5 || noComma === text ? text.slice(0, -1) : noComma }; // no ')' or a missing comma
    }
  }
}

/** For a prompt that needs no tool: an unneeded call (to a real or an invented tool). */
export function rejectTextAnswer(question: string, rng: Rng, format: CallFormat): { kind: RejectionKind; text: string } {
  return rng.next() < 0.5
    ? { kind: 'hallucinated-tool', text: formatCalls([{ name: 'searchWeb', arguments: { query: question } }], format) }
    : { kind: 'wrong-tool', text: formatCalls([{ name: 'searchEmployees', arguments: { name: question.slice(0, 8) } }], format) };
}
