// Training-set variety for models trained from scratch (the built-in tiny model): every example names fresh
// synthetic people, ids, cities, rooms and departments, and questions come in more wordings (extra training
// phrasings, greetings and sign-offs around them, more questions that need no tool).
//
// Why: the sample data names a few dozen entities, so a small model memorises "E1030" and "ORD-250011" as
// answers instead of learning to copy whatever id the prompt holds; and with three wordings per intent it
// memorises sentences instead of the words that decide the tool. The held-out split is untouched: no template
// here is a held-out phrasing, and no synthetic entity is a held-out one (both enforced while drawing).

import type { City, Department, Employee, MeetingRoom } from '../../tools/enterprise/world.ts';
import { DEFAULT_WORLD } from '../../tools/enterprise/world.ts';
import { Rng } from '../../util/rng.ts';
import { type EntityPool, entityPools, evalEntityStrings } from './entities.ts';
import { INTENTS, type IntentContext, type Lang, NO_TOOL, type SingleStepExample, fillPhrasing, noToolIndexes, phrasingIndexes } from './intents.ts';

/** More ways to ask for each intent (training only). Slots as in INTENTS; {reason}/{title} add that argument. */
export const EXTRA_PHRASINGS: Record<string, Record<Lang, string[]>> = {
  weather: {
    zh: ['{city}{date}天气预报', '查一下{city}{date}的天气', '{date}{city}多少度', '{date}{city}要带伞吗', '请问{date}{city}气温怎么样'],
    en: ['{city} forecast for {date}', 'check the weather in {city} for {date}', 'how warm will {city} be {date}', 'do I need an umbrella in {city} {date}?', 'temperature in {city} {date}?'],
  },
  'weather-now': {
    zh: ['{city}现在多少度', '现在{city}下雨没', '{city}当前气温', '{city}热吗'],
    en: ['current weather in {city}', 'is it raining in {city} now', "what's the temperature in {city}", 'how warm is {city} now'],
  },
  'weather-two-cities': {
    zh: ['{city}和{city2}{date}的天气', '{date}{city}、{city2}天气如何', '看看{date}{city}和{city2}哪个更冷'],
    en: ['{city} vs {city2} weather {date}', 'is {city} or {city2} colder {date}?', 'weather {date} for both {city} and {city2}'],
  },
  'leave-balance': {
    zh: ['帮我看看{leave}还有几天', '{leave}剩多少', '我还能请几天{leave}'],
    en: ['{leave} left?', 'how much {leave} is left for me', 'remaining {leave} balance please'],
  },
  'leave-balance-all': {
    zh: ['我的假期还剩多少', '查查我的休假额度', '假期余额'],
    en: ['my leave balance', 'what leave do I have left', 'how much vacation do I have'],
  },
  'submit-leave': {
    zh: ['{date}请{leave}', '给我提交{date}的{leave}申请', '我想{date}休{leave}，{reason}'],
    en: ['apply for {leave} {date}', 'I want to take {leave} {date}, {reason}', '{leave} {date} for me'],
  },
  'search-rooms': {
    zh: ['{date}{slot}找个会议室，{n}人', '{n}个人{date}{slot}开会，有空会议室吗', '查一下{date}{slot}能容纳{n}人的会议室'],
    en: ['find a room for {n} {date} {slot}', 'meeting room for {n} people {date} {slot}?', 'which rooms are free {date} {slot} for {n} people'],
  },
  'book-room': {
    zh: ['预定{room} {date}{slot}', '{date}{slot}帮我订{room}', '帮我把{room}订了，{date}{slot}，{title}用'],
    en: ['please book {room} for {date} {slot}', 'reserve {room} {date} {slot}', 'can you book {room} {date} {slot} for {title}'],
  },
  'cancel-booking': {
    zh: ['取消预订{booking}', '{booking}这个会议室不要了', '帮我把会议室预定{booking}撤了'],
    en: ['please cancel {booking}', 'cancel my room booking {booking}', '{booking} is not needed, cancel it'],
  },
  'my-calendar': {
    zh: ['{date}我有什么会', '帮我看下{date}的日程安排', '我{date}的日历'],
    en: ['my calendar for {date}', 'any meetings {date}?', 'what do I have {date}'],
  },
  'create-event': {
    zh: ['{date}{slot}帮我加个{title}', '日历里加一个{title}，{date}{slot}', '把{title}放到我{date}{slot}的日程里'],
    en: ['schedule {title} {date} {slot}', 'add a calendar event {title} {date} {slot}', 'create an event: {title}, {date} {slot}'],
  },
  'find-person': {
    zh: ['找一下{name}', '{name}在哪个部门', '查查{name}的联系方式'],
    en: ['find {name}', 'who is {name}', "{name}'s contact info"],
  },
  'list-department': {
    zh: ['{dept}的人有哪些', '查一下{dept}成员', '{dept}的同事名单'],
    en: ['members of {dept}', 'who works in {dept}', 'people in {dept}?'],
  },
  'employee-info': {
    zh: ['工号{id}是谁', '查{id}的资料', '{id}的邮箱'],
    en: ['look up employee {id}', 'details for {id}', 'who has employee id {id}'],
  },
  'order-status': {
    zh: ['查询订单{order}', '{order}什么时候到', '我的订单{order}怎么样了'],
    en: ['track {order}', 'where is my order {order}', 'order {order} status'],
  },
  'cancel-order': {
    zh: ['取消订单{order}', '帮我取消{order}吧，{reason}', '订单{order}我不要了，{reason}'],
    en: ['cancel {order} please', 'cancel my order {order}, {reason}', '{order} should be cancelled, {reason}'],
  },
  'it-ticket': {
    zh: ['{problem}，找IT看看', '报修：{problem}', '{problem}，帮我开个工单'],
    en: ['{problem}, need IT help', 'open an IT ticket: {problem}', 'please file a ticket, {problem}'],
  },
  'ticket-status': {
    zh: ['工单{ticket}进度', '{ticket}修好了吗', '帮我看看{ticket}的状态'],
    en: ['what is the status of {ticket}', 'has {ticket} been fixed', 'check ticket {ticket}'],
  },
  'submit-expense': {
    zh: ['报销{item}{amount}元，{date}', '{date}的{item}，{amount}块，帮我报了', '提交报销：{date}{item}{amount}元'],
    en: ['submit an expense of {amount} for {item} {date}', 'reimburse {amount} yuan {item} {date}', 'claim {item} {date}, {amount} yuan'],
  },
  'list-expenses': {
    zh: ['我的报销进度', '查一下我的报销单', '报销批了没'],
    en: ['my expense reports', 'what is the status of my expenses', 'check my reimbursements'],
  },
};

/** More questions that need no tool, with their answers (training only). */
const EXTRA_NO_TOOL: Record<Lang, [string, string][]> = {
  zh: [
    ['早上好', '早上好！有什么可以帮你的？'],
    ['你能做什么', '我可以帮你查天气、订会议室、看日程、请假、查订单、提IT工单和报销。'],
    ['讲个笑话', '程序员最怕什么？需求又改了。'],
    ['1加1等于几', '1加1等于2。'],
    ['今天心情不好', '抱歉听到这个，休息一下，有需要随时找我。'],
    ['帮我翻译一下hello', 'hello 的意思是“你好”。'],
    ['怎么写请假条', '写明请假原因、起止日期和工作交接安排即可。'],
    ['再见', '再见，祝你工作顺利！'],
    ['你叫什么名字', '我是公司的智能助手。'],
    ['一周有几个工作日', '一般是五个工作日，周一到周五。'],
  ],
  en: [
    ['good morning', 'Good morning! How can I help?'],
    ['tell me a joke', 'Why did the developer go broke? He used up all his cache.'],
    ['what is 2 plus 2', '2 plus 2 is 4.'],
    ['bye', 'Bye, have a good day!'],
    ['who are you?', "I'm the company assistant; I can call the office tools for you."],
    ['how do I write a good email subject', 'Keep it short and specific: say what you need and by when.'],
    ['translate 谢谢 to English', '谢谢 means "thank you".'],
    ["I'm tired today", 'Sorry to hear that. Take a short break, and ask me if you need anything.'],
    ['how many working days are in a week', 'Usually five, Monday to Friday.'],
    ['cool, that is all', 'Great, ask me anytime.'],
  ],
};

/** Greetings and sign-offs around a question (empty strings: most questions have none). */
const PREFIXES: Record<Lang, string[]> = {
  zh: ['', '', '', '', '', '请', '麻烦', '你好，', '在吗，', '帮个忙，', '急，'],
  en: ['', '', '', '', '', 'hi, ', 'hey, ', 'please ', 'quick question: ', 'hello, '],
};
const SUFFIXES: Record<Lang, string[]> = {
  zh: ['', '', '', '', '', '，谢谢', '，多谢', '！', '。'],
  en: ['', '', '', '', '', ' thanks', ', thank you', '!', ' asap'],
};

const ZH_SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤'];
const ZH_GIVEN = [
  ...'伟芳敏静磊洋涛军艳辉强欣平刚浩杰琳红波晨宇娜毅璐珊东峰鹏斌超龙雪颖青萌丽霞勇婷瑶',
  '子轩', '雨桐', '欣怡', '浩然', '梓涵', '宇轩', '思远', '佳怡', '明轩', '若曦', '嘉豪', '诗琪', '俊杰', '晓明', '文博', '一鸣', '雅婷', '志强', '建国', '海燕',
];
const EN_SURNAMES = [
  'Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou', 'Xu', 'Sun', 'Ma', 'Zhu', 'Hu', 'Guo', 'He', 'Gao', 'Lin', 'Luo',
  'Zheng', 'Liang', 'Xie', 'Song', 'Tang', 'Han', 'Feng', 'Deng', 'Cao', 'Peng', 'Zeng', 'Xiao', 'Tian', 'Dong', 'Pan', 'Yuan', 'Cai', 'Jiang',
  'Du', 'Ye', 'Cheng', 'Su', 'Wei', 'Ding', 'Ren', 'Shen', 'Yao', 'Lu', 'Cui', 'Zhong', 'Tan', 'Fan', 'Jin', 'Shi', 'Jia', 'Xia', 'Fang', 'Bai',
  'Smith', 'Brown', 'Miller', 'Davis', 'Garcia', 'Wilson', 'Taylor', 'Moore', 'Clark', 'Walker', 'Young', 'King', 'Wright', 'Scott',
];
const EN_GIVEN = [
  'Wei', 'Fang', 'Min', 'Jing', 'Lei', 'Yang', 'Tao', 'Jun', 'Yan', 'Hui', 'Qiang', 'Xin', 'Ping', 'Gang', 'Hao', 'Jie', 'Lin', 'Hong', 'Bo',
  'Chen', 'Yu', 'Xiaoming', 'Zihan', 'Yuxuan', 'Haoran', 'Yutong', 'Zixuan', 'Xinyi', 'Ruoxi', 'Jiahao', 'Siyu', 'Mingyu', 'Kai', 'Rui', 'Ning',
  'Na', 'Yi', 'Lu', 'Shan', 'Dong', 'Feng', 'Peng', 'Bin', 'Chao', 'Long', 'Xue', 'Ying', 'Qing', 'Meng',
  'Emma', 'Liam', 'Olivia', 'Noah', 'Sophia', 'James', 'Mia', 'Lucas', 'Anna', 'David', 'Sarah', 'Tom', 'Maria', 'Alex', 'Kate', 'Ben',
];
/** Cities beyond the mock world's, [Chinese, English]. */
const EXTRA_CITIES: [string, string][] = [
  ['天津', 'Tianjin'], ['重庆', 'Chongqing'], ['苏州', 'Suzhou'], ['青岛', 'Qingdao'], ['厦门', 'Xiamen'], ['大连', 'Dalian'], ['长沙', 'Changsha'],
  ['郑州', 'Zhengzhou'], ['济南', 'Jinan'], ['合肥', 'Hefei'], ['福州', 'Fuzhou'], ['昆明', 'Kunming'], ['沈阳', 'Shenyang'], ['哈尔滨', 'Harbin'],
  ['宁波', 'Ningbo'], ['无锡', 'Wuxi'], ['珠海', 'Zhuhai'], ['东莞', 'Dongguan'], ['佛山', 'Foshan'], ['南宁', 'Nanning'], ['西宁', 'Xining'],
  ['兰州', 'Lanzhou'], ['贵阳', 'Guiyang'], ['太原', 'Taiyuan'], ['石家庄', 'Shijiazhuang'], ['长春', 'Changchun'], ['南昌', 'Nanchang'],
  ['海口', 'Haikou'], ['三亚', 'Sanya'], ['拉萨', 'Lhasa'], ['乌鲁木齐', 'Urumqi'], ['温州', 'Wenzhou'], ['洛阳', 'Luoyang'], ['桂林', 'Guilin'],
  ['香港', 'Hong Kong'], ['澳门', 'Macau'], ['台北', 'Taipei'], ['东京', 'Tokyo'], ['大阪', 'Osaka'], ['首尔', 'Seoul'], ['曼谷', 'Bangkok'],
  ['吉隆坡', 'Kuala Lumpur'], ['雅加达', 'Jakarta'], ['孟买', 'Mumbai'], ['新德里', 'New Delhi'], ['迪拜', 'Dubai'], ['莫斯科', 'Moscow'],
  ['巴黎', 'Paris'], ['柏林', 'Berlin'], ['罗马', 'Rome'], ['马德里', 'Madrid'], ['米兰', 'Milan'], ['慕尼黑', 'Munich'], ['悉尼', 'Sydney'],
  ['墨尔本', 'Melbourne'], ['多伦多', 'Toronto'], ['温哥华', 'Vancouver'], ['芝加哥', 'Chicago'], ['西雅图', 'Seattle'], ['波士顿', 'Boston'],
  ['洛杉矶', 'Los Angeles'], ['旧金山', 'San Francisco'],
];
/** Departments beyond the mock world's, [Chinese, English]. */
const EXTRA_DEPARTMENTS: [string, string][] = [
  ['产品部', 'Product'], ['设计部', 'Design'], ['采购部', 'Procurement'], ['客户成功部', 'Customer Success'], ['安全部', 'Security'],
  ['数据部', 'Data'], ['研究院', 'Research'], ['行政部', 'Administration'], ['质量部', 'Quality'], ['物流部', 'Logistics'], ['公关部', 'Public Relations'],
];
const OFFICE_CODES = ['BJ', 'SH', 'SZ', 'HZ', 'GZ', 'CD', 'WH', 'TJ'];

const digits = (rng: Rng, n: number) => Array.from({ length: n }, () => String(rng.int(10))).join('');

/** Synthetic entities for one example; none of them is a held-out entity. */
export class SyntheticEntities {
  private readonly heldOut: string[];
  private readonly cities: City[];
  private readonly departments: Department[];

  constructor(private readonly rng: Rng) {
    this.heldOut = evalEntityStrings(DEFAULT_WORLD);
    const train = entityPools(DEFAULT_WORLD).train;
    this.cities = [...train.weatherCities, ...EXTRA_CITIES.map(([zh, en]) => ({ id: en.toLowerCase(), nameZh: zh, nameEn: en, baseTempC: 25 }))];
    this.departments = [...train.departments, ...EXTRA_DEPARTMENTS.map(([zh, en], i) => ({ id: `X${i}`, nameZh: zh, nameEn: en }))];
  }

  /** Draws until the value neither is nor contains a held-out entity ("Xinyi Liu" contains "Xinyi Li"). */
  private fresh(make: () => string): string {
    for (;;) {
      const v = make();
      if (!this.heldOut.some((h) => v.includes(h))) return v;
    }
  }

  employee(): Employee {
    const rng = this.rng;
    const nameZh = this.fresh(() => rng.pick(ZH_SURNAMES) + rng.pick(ZH_GIVEN));
    const nameEn = this.fresh(() => `${rng.pick(EN_GIVEN)} ${rng.pick(EN_SURNAMES)}`);
    const id = this.fresh(() => `E${1 + rng.int(9)}${digits(rng, 3)}`);
    return {
      id, nameZh, nameEn, email: `${nameEn.toLowerCase().replace(' ', '.')}@corp.example.com`, phone: `+86-138-${digits(rng, 4)}-${digits(rng, 4)}`,
      departmentId: 'D01', title: 'Engineer', cityId: 'beijing', managerId: null, leaveBalance: { annual: 5, sick: 5, personal: 2 },
    };
  }

  room(): MeetingRoom {
    const id = this.fresh(() => `${this.rng.pick(OFFICE_CODES)}-${2 + this.rng.int(8)}0${1 + this.rng.int(9)}`);
    return { id, name: id, cityId: 'beijing', building: 'Tower A', floor: Number(id.split('-')[1][0]), capacity: 8, equipment: [] };
  }

  /** A pool of a few entities of each kind, as the intents draw from it. */
  pool(): EntityPool {
    const rng = this.rng;
    const times = <T>(n: number, make: () => T) => Array.from({ length: n }, make);
    const orderIds = times(3, () => this.fresh(() => `ORD-${digits(rng, 6)}`));
    return {
      employees: times(3, () => this.employee()),
      weatherCities: rng.shuffle([...this.cities]).slice(0, 3),
      officeCities: [],
      rooms: times(3, () => this.room()),
      departments: [rng.pick(this.departments)],
      orderIds,
      cancellableOrderIds: orderIds,
      bookingIds: times(2, () => this.fresh(() => `BK-${digits(rng, 4)}`)),
      ticketIds: times(2, () => this.fresh(() => `IT-${digits(rng, 4)}`)),
    };
  }
}

/** Every held-out phrasing (the last of each intent's list, and the held-out no-tool questions). */
function heldOutTemplates(): Set<string> {
  const out = new Set<string>();
  for (const intent of INTENTS) {
    for (const lang of ['zh', 'en'] as Lang[]) {
      const list = intent.phrasings[lang];
      for (const i of phrasingIndexes(list.length, 'eval')) out.add(list[i]);
    }
  }
  for (const lang of ['zh', 'en'] as Lang[]) for (const i of noToolIndexes(NO_TOOL[lang].length, 'eval')) out.add(NO_TOOL[lang][i][0]);
  return out;
}

/** Draws single-step training examples with synthetic entities and varied wording. */
export class VariedDrawer {
  private readonly entities: SyntheticEntities;
  private readonly heldOut = heldOutTemplates();

  constructor(
    private readonly rng: Rng,
    private readonly chineseShare = 0.6,
    private readonly noToolShare = 0.1,
  ) {
    this.entities = new SyntheticEntities(rng);
  }

  /** One example and the context it was drawn in (its user and language make the system line). */
  draw(): { ctx: IntentContext; ex: SingleStepExample } {
    const rng = this.rng;
    const lang: Lang = rng.next() < this.chineseShare ? 'zh' : 'en';
    const user = this.entities.employee();
    const ctx: IntentContext = { rng, today: DEFAULT_WORLD.today, user, pool: this.entities.pool(), lang };
    const wrap = (template: string) => {
      const composed = `${rng.pick(PREFIXES[lang])}${template}${rng.pick(SUFFIXES[lang])}`;
      if (this.heldOut.has(composed)) throw new Error(`variety: "${composed}" is a held-out phrasing`);
      return composed;
    };
    let example: SingleStepExample;
    if (rng.next() < this.noToolShare) {
      const list = [...noToolIndexes(NO_TOOL[lang].length, 'train').map((i) => NO_TOOL[lang][i]), ...EXTRA_NO_TOOL[lang]];
      const i = rng.int(list.length);
      example = { intent: 'no-tool', templateId: `varied.no-tool.${lang}.${i}`, lang, question: wrap(list[i][0]), calls: [], answer: list[i][1] };
    } else {
      const intent = rng.pick(INTENTS);
      const own = intent.phrasings[lang];
      const templates = [...phrasingIndexes(own.length, 'train').map((i) => own[i]), ...(EXTRA_PHRASINGS[intent.name]?.[lang] ?? [])];
      const i = rng.int(templates.length);
      example = fillPhrasing(intent, ctx, wrap(templates[i]), `varied.${intent.name}.${lang}.${i}`);
    }
    return { ctx, ex: example };
  }
}
