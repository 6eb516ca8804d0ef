// The seeded entity universe behind the sample enterprise tools: employees (Chinese + English names),
// departments, offices and meeting rooms, cities, orders, tickets, expenses. The mock executors run
// against it and the sample-data generator draws arguments from it, so generated calls refer to
// things that exist (or, on purpose, to things that do not).

import { Rng } from '../../util/rng.ts';

/** The seed of the default universe; change it only together with any golden data built from it. */
export const DEFAULT_WORLD_SEED = 20250602;

/** The world's "today": fixed, so executors never read the wall clock and results are reproducible. */
export const WORLD_TODAY = '2025-06-02';

export interface City {
  id: string; // stable English key, e.g. 'beijing'
  nameEn: string;
  nameZh: string;
  /** Typical mid-day temperature in °C; the weather mock varies around it. */
  baseTempC: number;
}

export interface Department {
  id: string; // 'D01'
  nameEn: string;
  nameZh: string;
}

export type LeaveType = 'annual' | 'sick' | 'personal';
export const LEAVE_TYPES: readonly LeaveType[] = ['annual', 'sick', 'personal'];

export interface Employee {
  id: string; // 'E1001'
  nameZh: string; // '张伟'
  nameEn: string; // 'Wei Zhang'
  email: string;
  phone: string;
  departmentId: string;
  title: string;
  cityId: string;
  managerId: string | null;
  /** Leave days left at the start of the world, per type. */
  leaveBalance: Record<LeaveType, number>;
}

export interface MeetingRoom {
  id: string; // 'BJ-A-301'
  name: string;
  cityId: string;
  building: string;
  floor: number;
  capacity: number;
  equipment: string[]; // subset of ROOM_EQUIPMENT
}

export const ROOM_EQUIPMENT = ['projector', 'video_conference', 'whiteboard', 'tv_screen'] as const;

export interface Booking {
  id: string; // 'BK-0001'
  roomId: string;
  date: string; // YYYY-MM-DD
  startTime: string; // HH:MM
  endTime: string; // HH:MM
  title: string;
  organizerId: string;
}

export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled';
export const ORDER_STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'];

export interface Order {
  id: string; // 'ORD-250001'
  customer: string;
  product: string;
  quantity: number;
  amount: number; // CNY
  status: OrderStatus;
  createdDate: string;
}

export type TicketCategory = 'hardware' | 'software' | 'network' | 'account' | 'other';
export const TICKET_CATEGORIES: readonly TicketCategory[] = ['hardware', 'software', 'network', 'account', 'other'];
export type TicketPriority = 'low' | 'medium' | 'high' | 'urgent';
export const TICKET_PRIORITIES: readonly TicketPriority[] = ['low', 'medium', 'high', 'urgent'];

export interface ItTicket {
  id: string; // 'IT-0001'
  employeeId: string;
  category: TicketCategory;
  priority: TicketPriority;
  description: string;
  status: 'open' | 'in_progress' | 'resolved';
  createdDate: string;
}

export type ExpenseCategory = 'travel' | 'meals' | 'accommodation' | 'office_supplies' | 'training' | 'other';
export const EXPENSE_CATEGORIES: readonly ExpenseCategory[] = [
  'travel', 'meals', 'accommodation', 'office_supplies', 'training', 'other',
];
export const CURRENCIES = ['CNY', 'USD', 'EUR', 'HKD'] as const;
export type Currency = (typeof CURRENCIES)[number];

export interface ExpenseReport {
  id: string; // 'EXP-0001'
  employeeId: string;
  amount: number;
  currency: Currency;
  category: ExpenseCategory;
  date: string;
  description: string;
  status: 'submitted' | 'approved' | 'rejected';
}

export interface CalendarEvent {
  id: string; // 'EV-0001'
  employeeId: string;
  title: string;
  date: string;
  startTime: string;
  endTime: string;
  attendees: string[]; // employee ids
}

/** Everything the universe holds at the start (immutable reference data + initial mutable records). */
export interface WorldData {
  seed: number;
  today: string;
  cities: City[];
  departments: Department[];
  employees: Employee[];
  rooms: MeetingRoom[];
  bookings: Booking[];
  orders: Order[];
  tickets: ItTicket[];
  expenses: ExpenseReport[];
  events: CalendarEvent[];
}

export const CITIES: readonly City[] = [
  { id: 'beijing', nameEn: 'Beijing', nameZh: '北京', baseTempC: 26 },
  { id: 'shanghai', nameEn: 'Shanghai', nameZh: '上海', baseTempC: 25 },
  { id: 'shenzhen', nameEn: 'Shenzhen', nameZh: '深圳', baseTempC: 30 },
  { id: 'hangzhou', nameEn: 'Hangzhou', nameZh: '杭州', baseTempC: 26 },
  { id: 'guangzhou', nameEn: 'Guangzhou', nameZh: '广州', baseTempC: 30 },
  { id: 'chengdu', nameEn: 'Chengdu', nameZh: '成都', baseTempC: 24 },
  { id: 'wuhan', nameEn: 'Wuhan', nameZh: '武汉', baseTempC: 28 },
  { id: 'nanjing', nameEn: 'Nanjing', nameZh: '南京', baseTempC: 26 },
  { id: 'xian', nameEn: "Xi'an", nameZh: '西安', baseTempC: 27 },
  { id: 'singapore', nameEn: 'Singapore', nameZh: '新加坡', baseTempC: 31 },
  { id: 'london', nameEn: 'London', nameZh: '伦敦', baseTempC: 18 },
  { id: 'new_york', nameEn: 'New York', nameZh: '纽约', baseTempC: 23 },
];

export const DEPARTMENTS: readonly Department[] = [
  { id: 'D01', nameEn: 'Engineering', nameZh: '研发部' },
  { id: 'D02', nameEn: 'Sales', nameZh: '销售部' },
  { id: 'D03', nameEn: 'Human Resources', nameZh: '人力资源部' },
  { id: 'D04', nameEn: 'Finance', nameZh: '财务部' },
  { id: 'D05', nameEn: 'Marketing', nameZh: '市场部' },
  { id: 'D06', nameEn: 'IT Support', nameZh: '信息技术部' },
  { id: 'D07', nameEn: 'Legal', nameZh: '法务部' },
  { id: 'D08', nameEn: 'Operations', nameZh: '运营部' },
];

// Surname and given-name pools with their pinyin, so each employee has a consistent Chinese and English name.
const SURNAMES: readonly [string, string][] = [
  ['王', 'Wang'], ['李', 'Li'], ['张', 'Zhang'], ['刘', 'Liu'], ['陈', 'Chen'], ['杨', 'Yang'], ['赵', 'Zhao'],
  ['黄', 'Huang'], ['周', 'Zhou'], ['吴', 'Wu'], ['徐', 'Xu'], ['孙', 'Sun'], ['马', 'Ma'], ['朱', 'Zhu'],
  ['胡', 'Hu'], ['郭', 'Guo'], ['何', 'He'], ['林', 'Lin'], ['高', 'Gao'], ['罗', 'Luo'],
];
const GIVEN_NAMES: readonly [string, string][] = [
  ['伟', 'Wei'], ['芳', 'Fang'], ['娜', 'Na'], ['敏', 'Min'], ['静', 'Jing'], ['强', 'Qiang'], ['磊', 'Lei'],
  ['军', 'Jun'], ['洋', 'Yang'], ['勇', 'Yong'], ['艳', 'Yan'], ['杰', 'Jie'], ['涛', 'Tao'], ['明', 'Ming'],
  ['超', 'Chao'], ['秀英', 'Xiuying'], ['霞', 'Xia'], ['平', 'Ping'], ['刚', 'Gang'], ['晓明', 'Xiaoming'],
  ['婷', 'Ting'], ['欣怡', 'Xinyi'], ['子轩', 'Zixuan'], ['浩然', 'Haoran'], ['雨桐', 'Yutong'], ['思远', 'Siyuan'],
];
const TITLES: Record<string, readonly string[]> = {
  D01: ['Software Engineer', 'Senior Software Engineer', 'Engineering Manager', 'QA Engineer'],
  D02: ['Account Executive', 'Sales Manager', 'Sales Representative'],
  D03: ['HR Specialist', 'HR Business Partner', 'Recruiter'],
  D04: ['Accountant', 'Financial Analyst', 'Finance Manager'],
  D05: ['Marketing Specialist', 'Brand Manager', 'Content Strategist'],
  D06: ['IT Support Engineer', 'System Administrator'],
  D07: ['Legal Counsel', 'Compliance Officer'],
  D08: ['Operations Specialist', 'Operations Manager', 'Project Coordinator'],
};

/** Offices with meeting rooms: city, building letter, and the room names on offer. */
const OFFICES: readonly { cityId: string; code: string; building: string }[] = [
  { cityId: 'beijing', code: 'BJ', building: 'Tower A' },
  { cityId: 'shanghai', code: 'SH', building: 'Pudong Center' },
  { cityId: 'shenzhen', code: 'SZ', building: 'Nanshan Park' },
  { cityId: 'hangzhou', code: 'HZ', building: 'West Lake Campus' },
];
const ROOM_NAMES = ['Everest', 'Huangshan', 'Taishan', 'Yangtze', 'Lotus', 'Bamboo', 'Jade', 'Phoenix'];
const PRODUCTS: readonly [string, number][] = [
  ['Laptop Pro 14', 8999], ['Wireless Mouse', 129], ['4K Monitor 27"', 2499], ['Standing Desk', 1899],
  ['Noise-cancelling Headset', 1299], ['Office Chair', 1599], ['USB-C Dock', 699], ['Projector Mini', 3299],
];
const CUSTOMERS = ['Acme Trading Co.', 'Blue Ocean Ltd.', 'Hengda Logistics', 'Sunrise Retail', 'Nova Tech', 'Great Wall Foods'];

/** Builds the universe from a seed: the same seed always gives the same employees, rooms, orders, ... */
export function buildWorldData(seed: number = DEFAULT_WORLD_SEED): WorldData {
  const rng = new Rng(seed);
  const employees = buildEmployees(rng.fork(), 40);
  const rooms = buildRooms(rng.fork());
  const bookings = buildInitialBookings(rng.fork(), rooms, employees);
  const orders = buildOrders(rng.fork(), 30);
  const tickets = buildTickets(rng.fork(), employees);
  const expenses = buildExpenses(rng.fork(), employees);
  const events = buildEvents(rng.fork(), employees);
  return {
    seed, today: WORLD_TODAY, cities: CITIES.map((c) => ({ ...c })), departments: DEPARTMENTS.map((d) => ({ ...d })),
    employees, rooms, bookings, orders, tickets, expenses, events,
  };
}

function buildEmployees(rng: Rng, count: number): Employee[] {
  const used = new Set<string>();
  const out: Employee[] = [];
  const emails = new Set<string>();
  while (out.length < count) {
    const [sZh, sEn] = rng.pick(SURNAMES);
    const [gZh, gEn] = rng.pick(GIVEN_NAMES);
    const nameZh = sZh + gZh;
    if (used.has(nameZh)) continue; // unique names keep "find 张伟" unambiguous
    used.add(nameZh);
    const id = `E${1001 + out.length}`;
    const dept = DEPARTMENTS[out.length % DEPARTMENTS.length];
    let email = `${gEn.toLowerCase()}.${sEn.toLowerCase()}@corp.example.com`;
    if (emails.has(email)) email = `${gEn.toLowerCase()}.${sEn.toLowerCase()}${out.length}@corp.example.com`;
    emails.add(email);
    // The first employee of each department manages the others in it.
    const managerId = out.length < DEPARTMENTS.length ? null : `E${1001 + (out.length % DEPARTMENTS.length)}`;
    out.push({
      id, nameZh, nameEn: `${gEn} ${sEn}`, email,
      phone: `+86-138-${String(1000 + rng.int(9000))}-${String(1000 + rng.int(9000))}`,
      departmentId: dept.id, title: rng.pick(TITLES[dept.id]),
      cityId: OFFICES[rng.int(OFFICES.length)].cityId, managerId,
      leaveBalance: { annual: 5 + rng.int(11), sick: 5 + rng.int(6), personal: 3 + rng.int(3) },
    });
  }
  return out;
}

function buildRooms(rng: Rng): MeetingRoom[] {
  const rooms: MeetingRoom[] = [];
  for (const office of OFFICES) {
    const names = rng.shuffle([...ROOM_NAMES]).slice(0, 5);
    names.forEach((name, i) => {
      const floor = 3 + i;
      const capacity = [4, 6, 8, 12, 20][i];
      const equipment = ROOM_EQUIPMENT.filter(() => rng.next() < 0.55);
      rooms.push({
        id: `${office.code}-${floor}0${i + 1}`, name: `${name} (${office.code})`, cityId: office.cityId,
        building: office.building, floor, capacity, equipment: equipment.length ? [...equipment] : ['whiteboard'],
      });
    });
  }
  return rooms;
}

/** Adds `days` to a YYYY-MM-DD date (UTC arithmetic, no time zones). */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86400000;
  return new Date(t).toISOString().slice(0, 10);
}

function slot(rng: Rng): [string, string] {
  const startHour = 9 + rng.int(8); // 09..16
  const len = 1 + rng.int(2);
  return [`${String(startHour).padStart(2, '0')}:00`, `${String(startHour + len).padStart(2, '0')}:00`];
}

function buildInitialBookings(rng: Rng, rooms: MeetingRoom[], employees: Employee[]): Booking[] {
  const out: Booking[] = [];
  for (let i = 0; i < 16; i++) {
    const [startTime, endTime] = slot(rng);
    const b: Booking = {
      id: `BK-${String(i + 1).padStart(4, '0')}`, roomId: rng.pick(rooms).id, date: addDays(WORLD_TODAY, rng.int(5)),
      startTime, endTime, title: rng.pick(['Weekly sync', 'Design review', 'Client call', 'Interview', 'Sprint planning']),
      organizerId: rng.pick(employees).id,
    };
    // Keep the initial calendar free of double bookings.
    if (out.some((o) => o.roomId === b.roomId && o.date === b.date && o.startTime < b.endTime && b.startTime < o.endTime)) continue;
    out.push(b);
  }
  return out;
}

function buildOrders(rng: Rng, count: number): Order[] {
  const out: Order[] = [];
  for (let i = 0; i < count; i++) {
    const [product, price] = rng.pick(PRODUCTS);
    const quantity = 1 + rng.int(5);
    out.push({
      id: `ORD-${250001 + i}`, customer: rng.pick(CUSTOMERS), product, quantity, amount: price * quantity,
      status: rng.pick(ORDER_STATUSES), createdDate: addDays(WORLD_TODAY, -1 - rng.int(30)),
    });
  }
  return out;
}

function buildTickets(rng: Rng, employees: Employee[]): ItTicket[] {
  const problems = ['Laptop will not boot', 'VPN disconnects every hour', 'Need access to the finance share',
    'Outlook keeps crashing', 'Printer on floor 5 is jammed', 'Password reset for the HR system'];
  return Array.from({ length: 6 }, (_, i) => ({
    id: `IT-${String(i + 1).padStart(4, '0')}`, employeeId: rng.pick(employees).id,
    category: rng.pick(TICKET_CATEGORIES), priority: rng.pick(TICKET_PRIORITIES), description: problems[i],
    status: rng.pick(['open', 'in_progress', 'resolved'] as const), createdDate: addDays(WORLD_TODAY, -1 - rng.int(10)),
  }));
}

function buildExpenses(rng: Rng, employees: Employee[]): ExpenseReport[] {
  return Array.from({ length: 6 }, (_, i) => ({
    id: `EXP-${String(i + 1).padStart(4, '0')}`, employeeId: rng.pick(employees).id,
    amount: Math.round(rng.uniform(50, 3000) * 100) / 100, currency: 'CNY' as const,
    category: rng.pick(EXPENSE_CATEGORIES), date: addDays(WORLD_TODAY, -1 - rng.int(20)),
    description: rng.pick(['Taxi to client site', 'Team lunch', 'Hotel in Shanghai', 'Conference ticket', 'Printer paper']),
    status: rng.pick(['submitted', 'approved', 'rejected'] as const),
  }));
}

function buildEvents(rng: Rng, employees: Employee[]): CalendarEvent[] {
  return Array.from({ length: 10 }, (_, i) => {
    const [startTime, endTime] = slot(rng);
    return {
      id: `EV-${String(i + 1).padStart(4, '0')}`, employeeId: rng.pick(employees).id,
      title: rng.pick(['1:1 with manager', 'Project kickoff', 'Training session', 'Quarterly review']),
      date: addDays(WORLD_TODAY, rng.int(5)), startTime, endTime, attendees: [],
    };
  });
}

/** The default universe (seed DEFAULT_WORLD_SEED): what the sample tools, executors and data generator share. */
export const DEFAULT_WORLD: WorldData = buildWorldData(DEFAULT_WORLD_SEED);

/** Finds a city by English key/name or Chinese name, ignoring case and spaces ("new york", "北京"). */
export function findCity(cities: readonly City[], query: string): City | undefined {
  const q = query.trim().toLowerCase().replace(/[\s'_-]+/g, '');
  return cities.find((c) => [c.id, c.nameEn, c.nameZh].some((n) => n.toLowerCase().replace(/[\s'_-]+/g, '') === q));
}
