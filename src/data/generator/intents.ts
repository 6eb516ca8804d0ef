// Single-step requests: for each intent, the ways people phrase it (colloquial Chinese and English,
// relative dates, obvious parameters left out) and the exact calls it should produce. The last phrasing
// of every list is held out for the eval split; the others are used for training.

import type { ToolCall } from '../../tools/types.ts';
import type { Rng } from '../../util/rng.ts';
import type { Employee } from '../../tools/enterprise/world.ts';
import { type DatePhrase, futureDatePhrases, pastDatePhrases } from './dates.ts';
import type { EntityPool, Split } from './entities.ts';

export type Lang = 'zh' | 'en';

export interface IntentContext {
  rng: Rng;
  today: string;
  user: Employee;
  pool: EntityPool;
  lang: Lang;
}

/** What an intent produces: slot values for its phrasings, and the calls (none: answer in text). */
export interface IntentDraw {
  slots: Record<string, string>;
  calls: ToolCall[];
  /** The reference answer when no tool is needed. */
  answer?: string;
}

export interface Intent {
  name: string;
  phrasings: Record<Lang, string[]>;
  /** `phrasing` is the chosen template: a detail it mentions (a reason, a title) goes into the call. */
  draw(ctx: IntentContext, phrasing: string): IntentDraw;
}

export interface SingleStepExample {
  intent: string;
  templateId: string;
  lang: Lang;
  question: string;
  calls: ToolCall[];
  answer?: string;
}

const pickDate = (ctx: IntentContext, phrases: DatePhrase[]) => {
  const d = ctx.rng.pick(phrases);
  return { text: ctx.lang === 'zh' ? d.zh : d.en, date: d.date };
};
const cityName = (ctx: IntentContext, c: { nameZh: string; nameEn: string }) => (ctx.lang === 'zh' ? c.nameZh : c.nameEn);
const personName = (ctx: IntentContext, e: Employee) => (ctx.lang === 'zh' ? e.nameZh : e.nameEn);

/** Meeting slots: how people say them, and the HH:MM values. */
const SLOTS: { zh: string; en: string; start: string; end: string }[] = [
  { zh: '上午9点到10点', en: '9 to 10am', start: '09:00', end: '10:00' },
  { zh: '上午10点到11点半', en: '10 to 11:30am', start: '10:00', end: '11:30' },
  { zh: '下午2点到3点', en: '2 to 3pm', start: '14:00', end: '15:00' },
  { zh: '下午两点到四点', en: '2-4pm', start: '14:00', end: '16:00' },
  { zh: '下午3点半到4点半', en: '3:30 to 4:30pm', start: '15:30', end: '16:30' },
  { zh: '下午4点到5点', en: '4 to 5pm', start: '16:00', end: '17:00' },
];
const pickSlot = (ctx: IntentContext) => {
  const s = ctx.rng.pick(SLOTS);
  return { text: ctx.lang === 'zh' ? s.zh : s.en, start: s.start, end: s.end };
};

const LEAVE_WORDS = {
  annual: { zh: '年假', en: 'annual leave' },
  sick: { zh: '病假', en: 'sick leave' },
  personal: { zh: '事假', en: 'personal leave' },
} as const;
type LeaveKey = keyof typeof LEAVE_WORDS;

const TICKET_PROBLEMS: { zh: string; en: string; category: string }[] = [
  { zh: '电脑开不了机', en: 'my laptop will not turn on', category: 'hardware' },
  { zh: 'VPN老是断', en: 'the VPN keeps dropping', category: 'network' },
  { zh: '邮箱密码忘了', en: 'I forgot my email password', category: 'account' },
  { zh: 'Excel一打开就崩', en: 'Excel crashes on start', category: 'software' },
  { zh: '显示器闪屏', en: 'my monitor keeps flickering', category: 'hardware' },
  { zh: 'wifi连不上', en: 'I cannot connect to the wifi', category: 'network' },
];

const EXPENSES: { zh: string; en: string; category: string }[] = [
  { zh: '打车费', en: 'taxi fare', category: 'travel' },
  { zh: '请客户吃饭', en: 'client dinner', category: 'meals' },
  { zh: '住酒店', en: 'hotel stay', category: 'accommodation' },
  { zh: '买打印纸', en: 'printer paper', category: 'office_supplies' },
  { zh: '培训课程费', en: 'training course fee', category: 'training' },
];

export const NO_TOOL: { zh: [string, string][]; en: [string, string][] } = {
  zh: [
    ['你好呀', '你好！我可以帮你查天气、订会议室、请假、查订单和报修，有什么需要？'],
    ['谢谢，辛苦了', '不客气，随时找我！'],
    ['你是谁？', '我是公司的智能助手，可以帮你调用各种办公工具。'],
    ['1公里等于多少米', '1公里等于1000米。'],
    ['帮我写一句生日祝福', '祝你生日快乐，天天开心，万事顺意！'],
    ['Python里怎么把列表倒过来？', '可以用 list.reverse() 原地反转，或者用切片 lst[::-1] 得到新列表。'],
    ['周报一般写些什么', '一般包括本周完成的工作、遇到的问题、下周计划和需要的支持。'],
    ['好的，没事了', '好的，有需要再叫我。'],
  ],
  en: [
    ['hey there', 'Hi! I can check the weather, book rooms, file leave, look up orders and open IT tickets. What do you need?'],
    ['thanks a lot', "You're welcome!"],
    ['what can you do?', 'I can call the office tools for you: weather, meeting rooms, calendars, leave, orders, IT tickets and expenses.'],
    ['how many minutes are in 3 hours', 'There are 180 minutes in 3 hours.'],
    ['write a one-line thank-you note to my team', 'Thank you all for the hard work this week, it made a real difference!'],
    ['how do I reverse a list in Python?', 'Use lst.reverse() to reverse in place, or lst[::-1] for a reversed copy.'],
    ['what should a weekly report contain', 'What you finished this week, blockers, the plan for next week and any help you need.'],
    ['ok, never mind', 'Sure, just ask if you need anything.'],
  ],
};

export const INTENTS: Intent[] = [
  {
    name: 'weather',
    phrasings: {
      zh: ['{date}{city}天气咋样', '{city}{date}会下雨吗', '帮我看下{date}{city}的天气', '{date}去{city}出差，那边天气怎么样？'],
      en: ["what's the weather in {city} {date}", 'will it rain in {city} {date}?', 'weather for {city} {date} pls', "I'm flying to {city} {date}, how's the weather there?"],
    },
    draw(ctx) {
      const city = ctx.rng.pick(ctx.pool.weatherCities);
      const d = pickDate(ctx, futureDatePhrases(ctx.today));
      return { slots: { city: cityName(ctx, city), date: d.text }, calls: [{ name: 'queryWeather', arguments: { city: cityName(ctx, city), date: d.date } }] };
    },
  },
  {
    name: 'weather-now',
    phrasings: {
      zh: ['{city}现在热不热', '{city}今天冷吗', '{city}天气如何', '{city}这会儿外面啥天气'],
      en: ['is it hot in {city}', 'how cold is it in {city}', "{city} weather?", "what's it like outside in {city} right now"],
    },
    draw(ctx) {
      // No date said: the obvious default (today) is left to the tool.
      const city = ctx.rng.pick(ctx.pool.weatherCities);
      return { slots: { city: cityName(ctx, city) }, calls: [{ name: 'queryWeather', arguments: { city: cityName(ctx, city) } }] };
    },
  },
  {
    name: 'weather-two-cities',
    phrasings: {
      zh: ['{date}{city}和{city2}天气怎么样', '{city}跟{city2}{date}哪边暖和', '对比一下{date}{city}和{city2}的天气'],
      en: ['weather in {city} and {city2} {date}?', 'which is warmer {date}, {city} or {city2}', 'compare the weather {date} in {city} vs {city2}'],
    },
    draw(ctx) {
      const [a, b] = ctx.rng.shuffle([...ctx.pool.weatherCities]).slice(0, 2);
      const d = pickDate(ctx, futureDatePhrases(ctx.today));
      return {
        slots: { city: cityName(ctx, a), city2: cityName(ctx, b), date: d.text },
        calls: [a, b].map((c) => ({ name: 'queryWeather', arguments: { city: cityName(ctx, c), date: d.date } })),
      };
    },
  },
  {
    name: 'leave-balance',
    phrasings: {
      zh: ['我{leave}还剩几天', '查下我还有多少天{leave}', '我的{leave}余额是多少', '{leave}还够不够用啊，帮我看看'],
      en: ['how many days of {leave} do I have left', 'check my {leave} balance', 'whats my remaining {leave}', 'do I still have enough {leave}?'],
    },
    draw(ctx) {
      const type = ctx.rng.pick(['annual', 'sick', 'personal'] as LeaveKey[]);
      return {
        slots: { leave: LEAVE_WORDS[type][ctx.lang] },
        calls: [{ name: 'getLeaveBalance', arguments: { employeeId: ctx.user.id, leaveType: type } }],
      };
    },
  },
  {
    name: 'leave-balance-all',
    phrasings: {
      zh: ['我还有多少假', '看看我的假期余额', '帮我查一下假期', '我今年还能休几天'],
      en: ['how much leave do I have', 'show my leave balances', 'check my time off', 'how many days off can I still take'],
    },
    draw(ctx) {
      return { slots: {}, calls: [{ name: 'getLeaveBalance', arguments: { employeeId: ctx.user.id } }] };
    },
  },
  {
    name: 'submit-leave',
    phrasings: {
      zh: ['我{date}想请一天{leave}', '帮我请{date}的{leave}', '{date}请个{leave}，{reason}', '{date}我要休{leave}，帮我提交一下'],
      en: ['I need {leave} {date}', 'book {leave} for me {date}', 'file {leave} {date}, {reason}', 'please submit {leave} for {date}'],
    },
    draw(ctx, phrasing) {
      const type = ctx.rng.pick(['annual', 'sick', 'personal'] as LeaveKey[]);
      const d = pickDate(ctx, futureDatePhrases(ctx.today).filter((p) => ![0, 6].includes(new Date(`${p.date}T00:00:00Z`).getUTCDay())));
      const reason = ctx.rng.pick(ctx.lang === 'zh' ? ['家里有事', '身体不舒服', '回老家'] : ['family matters', 'not feeling well', 'moving house']);
      const args: Record<string, unknown> = { employeeId: ctx.user.id, leaveType: type, startDate: d.date, endDate: d.date };
      if (phrasing.includes('{reason}')) args.reason = reason;
      return { slots: { leave: LEAVE_WORDS[type][ctx.lang], date: d.text, reason }, calls: [{ name: 'submitLeaveRequest', arguments: args }] };
    },
  },
  {
    name: 'search-rooms',
    phrasings: {
      zh: ['{date}{slot}有没有能坐{n}个人的会议室', '帮我找个{date}{slot}空着的会议室，{n}个人', '{date}{slot}{n}人开会，哪有空房间', '{date}{slot}想找间会议室，我们{n}个人'],
      en: ['any room for {n} people {date} {slot}?', 'find me a free meeting room {date} {slot}, {n} of us', 'need a room {date} {slot} for {n}', 'is there a meeting room free {date} {slot}? we are {n}'],
    },
    draw(ctx) {
      const d = pickDate(ctx, futureDatePhrases(ctx.today));
      const s = pickSlot(ctx);
      const n = ctx.rng.pick([3, 4, 5, 6, 8, 10]);
      return {
        slots: { date: d.text, slot: s.text, n: String(n) },
        calls: [{ name: 'searchMeetingRooms', arguments: { date: d.date, startTime: s.start, endTime: s.end, minCapacity: n } }],
      };
    },
  },
  {
    name: 'book-room',
    phrasings: {
      zh: ['帮我订{room}，{date}{slot}', '{date}{slot}把{room}订下来，开{title}', '订一下{room}会议室 {date}{slot}', '{room}{date}{slot}我要用，帮我预定'],
      en: ['book {room} {date} {slot}', 'reserve {room} for {title} {date} {slot}', 'grab {room} for me {date} {slot}', 'I need {room} {date} {slot}, can you book it'],
    },
    draw(ctx, phrasing) {
      const room = ctx.rng.pick(ctx.pool.rooms);
      const d = pickDate(ctx, futureDatePhrases(ctx.today));
      const s = pickSlot(ctx);
      const title = ctx.rng.pick(ctx.lang === 'zh' ? ['周会', '需求评审', '面试'] : ['weekly sync', 'design review', 'an interview']);
      return {
        slots: { room: room.id, date: d.text, slot: s.text, title },
        calls: [
          {
            name: 'bookMeetingRoom',
            arguments: {
              roomId: room.id, date: d.date, startTime: s.start, endTime: s.end,
              ...(phrasing.includes('{title}') ? { title } : {}), organizerId: ctx.user.id,
            },
          },
        ],
      };
    },
  },
  {
    name: 'cancel-booking',
    phrasings: {
      zh: ['把{booking}取消掉', '会议室预定{booking}不用了', '帮我退掉{booking}这个预订'],
      en: ['cancel booking {booking}', "we don't need {booking} anymore, cancel it", 'drop my reservation {booking}'],
    },
    draw(ctx) {
      const id = ctx.rng.pick(ctx.pool.bookingIds);
      return { slots: { booking: id }, calls: [{ name: 'cancelMeetingBooking', arguments: { bookingId: id } }] };
    },
  },
  {
    name: 'my-calendar',
    phrasings: {
      zh: ['我{date}有啥安排', '看看我{date}的日程', '{date}我有会吗', '{date}我忙不忙，查下日历'],
      en: ["what's on my calendar {date}", 'do I have meetings {date}', 'show my schedule {date}', 'am I busy {date}? check my calendar'],
    },
    draw(ctx) {
      const d = pickDate(ctx, futureDatePhrases(ctx.today));
      return { slots: { date: d.text }, calls: [{ name: 'getCalendarEvents', arguments: { employeeId: ctx.user.id, date: d.date } }] };
    },
  },
  {
    name: 'create-event',
    phrasings: {
      zh: ['{date}{slot}给我加个日程：{title}', '在我日历上记一下，{date}{slot}{title}', '提醒我{date}{slot}有{title}'],
      en: ['add {title} to my calendar {date} {slot}', 'put {title} on my calendar {date} {slot}', 'block {date} {slot} for {title}'],
    },
    draw(ctx) {
      const d = pickDate(ctx, futureDatePhrases(ctx.today));
      const s = pickSlot(ctx);
      const title = ctx.rng.pick(ctx.lang === 'zh' ? ['项目复盘', '客户电话', '团队午餐'] : ['project retro', 'client call', 'team lunch']);
      return {
        slots: { date: d.text, slot: s.text, title },
        calls: [{ name: 'createCalendarEvent', arguments: { employeeId: ctx.user.id, title, date: d.date, startTime: s.start, endTime: s.end } }],
      };
    },
  },
  {
    name: 'find-person',
    phrasings: {
      zh: ['{name}是哪个部门的', '帮我找一下{name}', '{name}的邮箱是多少', '公司里有叫{name}的吗'],
      en: ['which team is {name} on', 'look up {name}', "what's {name}'s email", 'do we have someone called {name}'],
    },
    draw(ctx) {
      const e = ctx.rng.pick(ctx.pool.employees);
      return { slots: { name: personName(ctx, e) }, calls: [{ name: 'searchEmployees', arguments: { name: personName(ctx, e) } }] };
    },
  },
  {
    name: 'list-department',
    phrasings: {
      zh: ['{dept}都有谁', '列一下{dept}的同事', '{dept}有哪些人'],
      en: ['who is in {dept}', 'list the people in {dept}', 'show me everyone in {dept}'],
    },
    draw(ctx) {
      const d = ctx.rng.pick(ctx.pool.departments);
      const name = ctx.lang === 'zh' ? d.nameZh : d.nameEn;
      return { slots: { dept: name }, calls: [{ name: 'searchEmployees', arguments: { department: name } }] };
    },
  },
  {
    name: 'employee-info',
    phrasings: {
      zh: ['{id}是谁', '查一下工号{id}的信息', '{id}这个人电话多少'],
      en: ['who is {id}', 'employee info for {id}', "what's the phone number of {id}"],
    },
    draw(ctx) {
      const e = ctx.rng.pick(ctx.pool.employees);
      return { slots: { id: e.id }, calls: [{ name: 'getEmployeeInfo', arguments: { employeeId: e.id } }] };
    },
  },
  {
    name: 'order-status',
    phrasings: {
      zh: ['{order}到哪了', '帮我查下订单{order}', '{order}发货没', '订单{order}现在什么状态'],
      en: ['where is order {order}', 'status of {order}?', 'has {order} shipped yet', 'check order {order} for me'],
    },
    draw(ctx) {
      const id = ctx.rng.pick(ctx.pool.orderIds);
      return { slots: { order: id }, calls: [{ name: 'queryOrderStatus', arguments: { orderId: id } }] };
    },
  },
  {
    name: 'cancel-order',
    phrasings: {
      zh: ['把订单{order}取消了', '{order}不要了，帮我取消', '取消{order}，{reason}'],
      en: ['cancel order {order}', "I don't want {order} anymore, cancel it", 'please cancel {order}, {reason}'],
    },
    draw(ctx, phrasing) {
      const id = ctx.rng.pick(ctx.pool.orderIds);
      const reason = ctx.rng.pick(ctx.lang === 'zh' ? ['买错了', '不需要了'] : ['ordered by mistake', 'no longer needed']);
      return { slots: { order: id, reason }, calls: [{ name: 'cancelOrder', arguments: { orderId: id, ...(phrasing.includes('{reason}') ? { reason } : {}) } }] };
    },
  },
  {
    name: 'it-ticket',
    phrasings: {
      zh: ['{problem}，帮我报个修', '{problem}了，提个IT工单', '帮我找IT，{problem}', '{problem}，能帮我提交工单吗'],
      en: ['{problem}, open a ticket please', '{problem} - can you file an IT ticket', 'IT ticket: {problem}', '{problem}, please raise it with IT'],
    },
    draw(ctx) {
      const p = ctx.rng.pick(TICKET_PROBLEMS);
      const text = ctx.lang === 'zh' ? p.zh : p.en;
      return { slots: { problem: text }, calls: [{ name: 'createItTicket', arguments: { employeeId: ctx.user.id, category: p.category, description: text } }] };
    },
  },
  {
    name: 'ticket-status',
    phrasings: {
      zh: ['{ticket}处理得怎么样了', '查下工单{ticket}', '{ticket}有人管吗'],
      en: ['any update on {ticket}?', 'status of ticket {ticket}', 'is anyone working on {ticket}'],
    },
    draw(ctx) {
      const id = ctx.rng.pick(ctx.pool.ticketIds);
      return { slots: { ticket: id }, calls: [{ name: 'getItTicketStatus', arguments: { ticketId: id } }] };
    },
  },
  {
    name: 'submit-expense',
    phrasings: {
      zh: ['{date}{item}花了{amount}块，帮我报销', '报销一下{date}的{item}，{amount}元', '{date}{item}{amount}，提个报销单'],
      en: ['expense {amount} CNY for {item} {date}', 'file an expense: {item}, {amount} yuan, {date}', 'I spent {amount} on {item} {date}, please submit it'],
    },
    draw(ctx) {
      const x = ctx.rng.pick(EXPENSES);
      const d = pickDate(ctx, pastDatePhrases(ctx.today));
      const amount = ctx.rng.pick([36, 58, 120, 268, 399.5, 880, 1200]);
      return {
        slots: { item: ctx.lang === 'zh' ? x.zh : x.en, date: d.text, amount: String(amount) },
        calls: [{ name: 'submitExpenseReport', arguments: { employeeId: ctx.user.id, amount, category: x.category, date: d.date } }],
      };
    },
  },
  {
    name: 'list-expenses',
    phrasings: {
      zh: ['我的报销单都批了吗', '看看我提交过的报销', '我有哪些报销还没处理'],
      en: ['are my expense reports approved', 'show my expense reports', 'list my expenses'],
    },
    draw(ctx) {
      return { slots: {}, calls: [{ name: 'listExpenseReports', arguments: { employeeId: ctx.user.id } }] };
    },
  },
];

/** Requests that need no tool: the reply is text. Kept separate: each phrasing carries its own answer. */
export function drawNoTool(ctx: IntentContext, split: Split): SingleStepExample {
  const list = NO_TOOL[ctx.lang];
  const i = ctx.rng.pick(noToolIndexes(list.length, split));
  const [question, answer] = list[i];
  return { intent: 'no-tool', templateId: `no-tool.${ctx.lang}.${i}`, lang: ctx.lang, question, calls: [], answer };
}

/** Indexes of the no-tool questions a split may use: all but the last two for training, those two for eval. */
export function noToolIndexes(count: number, split: Split): number[] {
  return split === 'eval' ? [count - 1, count - 2] : Array.from({ length: count - 2 }, (_, i) => i);
}

/** Indexes of the phrasings a split may use: all but the last for training, the last for eval. */
export function phrasingIndexes(count: number, split: Split): number[] {
  return split === 'eval' ? [count - 1] : Array.from({ length: count - 1 }, (_, i) => i);
}

export function drawSingleStep(intent: Intent, ctx: IntentContext, split: Split): SingleStepExample {
  const list = intent.phrasings[ctx.lang];
  const index = ctx.rng.pick(phrasingIndexes(list.length, split));
  return fillPhrasing(intent, ctx, list[index], `${intent.name}.${ctx.lang}.${index}`);
}

/** Draws the intent's values for one phrasing template and writes the question. */
export function fillPhrasing(intent: Intent, ctx: IntentContext, template: string, templateId: string): SingleStepExample {
  const draw = intent.draw(ctx, template);
  const question = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = draw.slots[key];
    if (v === undefined) throw new Error(`intent ${intent.name}: phrasing "${template}" uses {${key}}, which draw() does not fill`);
    return v;
  });
  return { intent: intent.name, templateId, lang: ctx.lang, question, calls: draw.calls, ...(draw.answer ? { answer: draw.answer } : {}) };
}
