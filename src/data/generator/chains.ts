// Multi-step conversations (2-4 calls): each step's calls really run in the tools' mock world, so the
// tool results in the data are what the executors return and the next call uses ids from them.

import { EnterpriseWorld } from '../../tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../../tools/enterprise/tool-set.ts';
import { DEFAULT_WORLD } from '../../tools/enterprise/world.ts';
import { ArgumentValidator } from '../../tools/validate-args.ts';
import type { ToolCall } from '../../tools/types.ts';
import type { AssistantTurn, ToolTurn, Turn } from '../conversation.ts';
import { futureDatePhrases } from './dates.ts';
import type { Split } from './entities.ts';
import { type IntentContext, type Lang, phrasingIndexes } from './intents.ts';

export interface ChainExample {
  chain: string;
  templateId: string;
  lang: Lang;
  question: string;
  /** Assistant call turns, tool result turns, and the final answer. */
  turns: Turn[];
  callCount: number;
}

type Results = Record<string, unknown>[];

/** Runs calls in order; null when one fails (the builder then draws other values). */
class ChainRun {
  readonly turns: Turn[] = [];
  callCount = 0;
  constructor(private readonly world: EnterpriseWorld) {}
  step(calls: ToolCall[]): Results | null {
    const results: Results = [];
    const toolTurn: ToolTurn = { role: 'tool', results: [] };
    for (const call of calls) {
      const r = this.world.execute(call);
      if (!r.ok) return null;
      results.push(r.result as Record<string, unknown>);
      toolTurn.results.push({ name: call.name, content: JSON.stringify(r.result) });
    }
    const assistant: AssistantTurn = { role: 'assistant', calls };
    this.turns.push(assistant, toolTurn);
    this.callCount += calls.length;
    return results;
  }
  answer(text: string): void {
    this.turns.push({ role: 'assistant', calls: [], content: text });
  }
}

interface Chain {
  name: string;
  phrasings: Record<Lang, string[]>;
  /** Fills the slots and runs the steps; returns null when the world refuses a call. */
  run(ctx: IntentContext, run: ChainRun, slots: Record<string, string>): boolean;
}

const zh = (ctx: IntentContext) => ctx.lang === 'zh';
const nameOf = (ctx: IntentContext, e: { nameZh: string; nameEn: string }) => (zh(ctx) ? e.nameZh : e.nameEn);
const dateOf = (ctx: IntentContext) => {
  const d = ctx.rng.pick(futureDatePhrases(ctx.today).slice(1));
  return { text: zh(ctx) ? d.zh : d.en, date: d.date };
};
const SLOTS = [
  { zh: '下午2点到3点', en: '2 to 3pm', start: '14:00', end: '15:00' },
  { zh: '上午10点到11点', en: '10 to 11am', start: '10:00', end: '11:00' },
  { zh: '下午4点到5点', en: '4 to 5pm', start: '16:00', end: '17:00' },
];
const slotOf = (ctx: IntentContext) => {
  const s = ctx.rng.pick(SLOTS);
  return { text: zh(ctx) ? s.zh : s.en, start: s.start, end: s.end };
};
const firstEmployeeId = (r: Record<string, unknown>) => ((r.employees as { employeeId: string }[])[0] ?? {}).employeeId;

export const CHAINS: Chain[] = [
  {
    name: 'person-calendar',
    phrasings: {
      zh: ['帮我看看{name}{date}有什么安排', '{name}{date}忙吗？查下日程', '{date}{name}都有啥会'],
      en: ['what does {name} have on {date}', 'is {name} busy {date}? check the calendar', "show me {name}'s meetings {date}"],
    },
    run(ctx, run, slots) {
      const person = ctx.rng.pick(ctx.pool.employees.filter((e) => e.id !== ctx.user.id));
      const d = dateOf(ctx);
      Object.assign(slots, { name: nameOf(ctx, person), date: d.text });
      const found = run.step([{ name: 'searchEmployees', arguments: { name: nameOf(ctx, person) } }]);
      if (!found || firstEmployeeId(found[0]) !== person.id) return false;
      const cal = run.step([{ name: 'getCalendarEvents', arguments: { employeeId: person.id, date: d.date } }]);
      if (!cal) return false;
      const events = cal[0].events as { title: string; startTime: string; endTime: string }[];
      const list = events.map((e) => `${e.startTime}-${e.endTime} ${e.title}`).join(zh(ctx) ? '；' : '; ');
      run.answer(
        events.length === 0
          ? zh(ctx) ? `${person.nameZh}${d.text}（${d.date}）没有安排。` : `${person.nameEn} has nothing scheduled on ${d.date}.`
          : zh(ctx) ? `${person.nameZh}${d.text}（${d.date}）的安排：${list}。` : `${person.nameEn} on ${d.date}: ${list}.`,
      );
      return true;
    },
  },
  {
    name: 'find-and-book-room',
    phrasings: {
      zh: ['{date}{slot}帮我订个能坐{n}人的会议室', '找间{date}{slot}空的会议室直接订上，{n}个人', '{date}{slot}我们{n}个人开会，帮我搞定会议室'],
      en: ['book me a room for {n} people {date} {slot}', 'find a free room for {n} {date} {slot} and reserve it', 'we are {n}, get us a meeting room {date} {slot}'],
    },
    run(ctx, run, slots) {
      const d = dateOf(ctx);
      const s = slotOf(ctx);
      const n = ctx.rng.pick([4, 5, 6, 8]);
      Object.assign(slots, { date: d.text, slot: s.text, n: String(n) });
      const found = run.step([{ name: 'searchMeetingRooms', arguments: { date: d.date, startTime: s.start, endTime: s.end, minCapacity: n } }]);
      if (!found) return false;
      const allowed = new Set(ctx.pool.rooms.map((r) => r.id));
      const room = (found[0].rooms as { roomId: string; name: string }[]).find((r) => allowed.has(r.roomId));
      if (!room) return false;
      const booked = run.step([
        { name: 'bookMeetingRoom', arguments: { roomId: room.roomId, date: d.date, startTime: s.start, endTime: s.end, organizerId: ctx.user.id } },
      ]);
      if (!booked) return false;
      const id = booked[0].bookingId as string;
      run.answer(zh(ctx) ? `已为你预订 ${room.roomId}（${d.date} ${s.start}-${s.end}），预订号 ${id}。` : `Booked ${room.roomId} on ${d.date}, ${s.start}-${s.end}. Booking id: ${id}.`);
      return true;
    },
  },
  {
    name: 'balance-then-leave',
    phrasings: {
      zh: ['先看看我年假还剩几天，够的话{date}帮我请一天', '{date}想休年假，查下余额再帮我提交', '我年假还有吗？有的话{date}请一天'],
      en: ['check my annual leave and if I have any, book {date} off', 'I want {date} off, see if I have annual leave left and submit it', 'do I have annual leave left? if so take {date} off'],
    },
    run(ctx, run, slots) {
      const d = dateOf(ctx);
      const dow = new Date(`${d.date}T00:00:00Z`).getUTCDay();
      if (dow === 0 || dow === 6) return false;
      slots.date = d.text;
      const bal = run.step([{ name: 'getLeaveBalance', arguments: { employeeId: ctx.user.id, leaveType: 'annual' } }]);
      if (!bal || (bal[0].days as number) < 1) return false;
      const req = run.step([{ name: 'submitLeaveRequest', arguments: { employeeId: ctx.user.id, leaveType: 'annual', startDate: d.date, endDate: d.date } }]);
      if (!req) return false;
      run.answer(
        zh(ctx)
          ? `你原有 ${bal[0].days} 天年假，已提交 ${d.date} 的年假申请（${req[0].requestId}），剩余 ${req[0].remainingDays} 天。`
          : `You had ${bal[0].days} annual leave days. Leave on ${d.date} is submitted (${req[0].requestId}); ${req[0].remainingDays} days left.`,
      );
      return true;
    },
  },
  {
    name: 'check-then-cancel-order',
    phrasings: {
      zh: ['{order}要是还没发货就帮我取消', '看下{order}的状态，没发的话取消掉', '{order}还能取消吗？能就取消'],
      en: ["if {order} hasn't shipped, cancel it", 'check {order} and cancel it if it is not shipped yet', 'can {order} still be cancelled? if yes do it'],
    },
    run(ctx, run, slots) {
      const id = ctx.rng.pick(ctx.pool.cancellableOrderIds);
      slots.order = id;
      const st = run.step([{ name: 'queryOrderStatus', arguments: { orderId: id } }]);
      if (!st) return false;
      const c = run.step([{ name: 'cancelOrder', arguments: { orderId: id } }]);
      if (!c) return false;
      run.answer(zh(ctx) ? `订单 ${id} 之前是 ${st[0].status} 状态，还没发货，已为你取消。` : `Order ${id} was ${st[0].status}, not shipped yet, so I cancelled it.`);
      return true;
    },
  },
  {
    name: 'compare-weather',
    phrasings: {
      zh: ['{date}{city}和{city2}哪个更热', '{date}去{city}还是{city2}，哪边天气好点', '比一比{date}{city}跟{city2}的气温'],
      en: ['which is hotter {date}, {city} or {city2}', 'should I go to {city} or {city2} {date}? which has better weather', 'compare temperatures in {city} and {city2} {date}'],
    },
    run(ctx, run, slots) {
      const [a, b] = ctx.rng.shuffle([...ctx.pool.weatherCities]).slice(0, 2);
      const d = dateOf(ctx);
      Object.assign(slots, { city: nameOf(ctx, a), city2: nameOf(ctx, b), date: d.text });
      const w = run.step([a, b].map((c) => ({ name: 'queryWeather', arguments: { city: nameOf(ctx, c), date: d.date } })));
      if (!w) return false;
      const [wa, wb] = w as { high: number; condition: string; conditionZh: string }[];
      const hotter = wa.high >= wb.high ? nameOf(ctx, a) : nameOf(ctx, b);
      run.answer(
        zh(ctx)
          ? `${d.date}：${a.nameZh}${wa.conditionZh}，最高${wa.high}°C；${b.nameZh}${wb.conditionZh}，最高${wb.high}°C。${hotter}更热。`
          : `${d.date}: ${a.nameEn} ${wa.condition}, high ${wa.high}°C; ${b.nameEn} ${wb.condition}, high ${wb.high}°C. ${hotter} is hotter.`,
      );
      return true;
    },
  },
  {
    name: 'ticket-for-colleague',
    phrasings: {
      zh: ['帮{name}报个修，他说{problem}', '{name}那边{problem}，帮他提个工单', '给{name}开个IT工单：{problem}'],
      en: ['open an IT ticket for {name}: {problem}', '{name} says {problem}, file a ticket for them', 'raise a ticket on behalf of {name}, {problem}'],
    },
    run(ctx, run, slots) {
      const person = ctx.rng.pick(ctx.pool.employees.filter((e) => e.id !== ctx.user.id));
      const p = ctx.rng.pick([
        { zh: '电脑蓝屏', en: 'the laptop shows a blue screen', category: 'hardware' },
        { zh: '连不上内网', en: 'the intranet is unreachable', category: 'network' },
        { zh: '账号被锁了', en: 'the account is locked', category: 'account' },
      ]);
      Object.assign(slots, { name: nameOf(ctx, person), problem: zh(ctx) ? p.zh : p.en });
      const found = run.step([{ name: 'searchEmployees', arguments: { name: nameOf(ctx, person) } }]);
      if (!found || firstEmployeeId(found[0]) !== person.id) return false;
      const t = run.step([{ name: 'createItTicket', arguments: { employeeId: person.id, category: p.category, description: zh(ctx) ? p.zh : p.en } }]);
      if (!t) return false;
      run.answer(zh(ctx) ? `已为${person.nameZh}（${person.id}）提交工单 ${t[0].ticketId}。` : `Ticket ${t[0].ticketId} is open for ${person.nameEn} (${person.id}).`);
      return true;
    },
  },
  {
    name: 'meet-colleague',
    phrasings: {
      zh: ['看下{name}{date}{slot}有没有空，有空就约个会：{title}', '{date}{slot}想跟{name}聊聊{title}，先看他日程再发邀请', '约{name}{date}{slot}开个{title}，先确认他有空'],
      en: ['check if {name} is free {date} {slot} and set up a {title}', 'I want a {title} with {name} {date} {slot}, check their calendar first', 'schedule a {title} with {name} {date} {slot} if they are free'],
    },
    run(ctx, run, slots) {
      const person = ctx.rng.pick(ctx.pool.employees.filter((e) => e.id !== ctx.user.id));
      const d = dateOf(ctx);
      const s = slotOf(ctx);
      const title = zh(ctx) ? ctx.rng.pick(['一对一', '项目同步']) : ctx.rng.pick(['1:1', 'project sync']);
      Object.assign(slots, { name: nameOf(ctx, person), date: d.text, slot: s.text, title });
      const found = run.step([{ name: 'searchEmployees', arguments: { name: nameOf(ctx, person) } }]);
      if (!found || firstEmployeeId(found[0]) !== person.id) return false;
      const cal = run.step([{ name: 'getCalendarEvents', arguments: { employeeId: person.id, date: d.date } }]);
      if (!cal) return false;
      const busy = (cal[0].events as { startTime: string; endTime: string }[]).some((e) => e.startTime < s.end && s.start < e.endTime);
      if (busy) return false;
      const ev = run.step([
        { name: 'createCalendarEvent', arguments: { employeeId: ctx.user.id, title, date: d.date, startTime: s.start, endTime: s.end, attendees: [person.id] } },
      ]);
      if (!ev) return false;
      run.answer(zh(ctx) ? `${person.nameZh}那时有空，已创建日程 ${ev[0].eventId}（${d.date} ${s.start}-${s.end}）。` : `${person.nameEn} is free then. Created ${ev[0].eventId} on ${d.date}, ${s.start}-${s.end}.`);
      return true;
    },
  },
  {
    name: 'team-meeting-room',
    phrasings: {
      zh: ['{date}{slot}我要和{name}、{name2}开会，帮我订个会议室', '约{name}和{name2}{date}{slot}碰一下，找间会议室订上', '{date}{slot}跟{name}{name2}三个人开会，会议室帮我搞定'],
      en: ['I need a room {date} {slot} to meet {name} and {name2}', 'set up a meeting with {name} and {name2} {date} {slot} and book a room', 'get a room for me, {name} and {name2} {date} {slot}'],
    },
    run(ctx, run, slots) {
      const [p1, p2] = ctx.rng.shuffle(ctx.pool.employees.filter((e) => e.id !== ctx.user.id)).slice(0, 2);
      const d = dateOf(ctx);
      const s = slotOf(ctx);
      Object.assign(slots, { name: nameOf(ctx, p1), name2: nameOf(ctx, p2), date: d.text, slot: s.text });
      const found = run.step([p1, p2].map((p) => ({ name: 'searchEmployees', arguments: { name: nameOf(ctx, p) } })));
      if (!found || firstEmployeeId(found[0]) !== p1.id || firstEmployeeId(found[1]) !== p2.id) return false;
      const rooms = run.step([{ name: 'searchMeetingRooms', arguments: { date: d.date, startTime: s.start, endTime: s.end, minCapacity: 3 } }]);
      if (!rooms) return false;
      const allowed = new Set(ctx.pool.rooms.map((r) => r.id));
      const room = (rooms[0].rooms as { roomId: string }[]).find((r) => allowed.has(r.roomId));
      if (!room) return false;
      const b = run.step([
        { name: 'bookMeetingRoom', arguments: { roomId: room.roomId, date: d.date, startTime: s.start, endTime: s.end, organizerId: ctx.user.id } },
      ]);
      if (!b) return false;
      run.answer(
        zh(ctx)
          ? `已订好 ${room.roomId}（${d.date} ${s.start}-${s.end}，预订号 ${b[0].bookingId}），参会人：${p1.nameZh}（${p1.id}）、${p2.nameZh}（${p2.id}）。`
          : `Booked ${room.roomId} on ${d.date}, ${s.start}-${s.end} (${b[0].bookingId}) for you, ${p1.nameEn} (${p1.id}) and ${p2.nameEn} (${p2.id}).`,
      );
      return true;
    },
  },
];

/** One validator for every fresh world: compiling the schemas is the expensive part of a world. */
let sharedValidator: ArgumentValidator | null = null;
const freshWorld = () => new EnterpriseWorld(DEFAULT_WORLD, (sharedValidator ??= new ArgumentValidator(ENTERPRISE_TOOLS)));

/** Draws one chain; retries with new values when the world refuses a step. */
export function drawChain(chain: Chain, ctx: IntentContext, split: Split): ChainExample {
  const list = chain.phrasings[ctx.lang];
  for (let attempt = 0; attempt < 50; attempt++) {
    const index = ctx.rng.pick(phrasingIndexes(list.length, split));
    const run = new ChainRun(freshWorld());
    const slots: Record<string, string> = {};
    if (!chain.run(ctx, run, slots)) continue;
    const question = list[index].replace(/\{(\w+)\}/g, (_, k: string) => {
      if (slots[k] === undefined) throw new Error(`chain ${chain.name}: phrasing ${index} uses {${k}}, which run() does not fill`);
      return slots[k];
    });
    return { chain: chain.name, templateId: `${chain.name}.${ctx.lang}.${index}`, lang: ctx.lang, question, turns: run.turns, callCount: run.callCount };
  }
  throw new Error(`chain ${chain.name}: the mock world refused 50 draws in a row`);
}
