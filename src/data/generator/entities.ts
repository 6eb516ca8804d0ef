// Splits the tools' mock world into training and held-out evaluation entities, so the eval split asks
// about people, cities, rooms, orders, bookings and tickets that training never names.

import { DEFAULT_WORLD, type City, type Department, type Employee, type MeetingRoom, type WorldData } from '../../tools/enterprise/world.ts';

export type Split = 'train' | 'eval';

export interface EntityPool {
  employees: Employee[];
  weatherCities: City[];
  /** Office cities (they have meeting rooms); shared, rooms inside them are split. */
  officeCities: City[];
  rooms: MeetingRoom[];
  departments: Department[];
  orderIds: string[];
  cancellableOrderIds: string[];
  bookingIds: string[];
  ticketIds: string[];
}

const EVAL_CITY_IDS = ['nanjing', 'xian', 'new_york'];
const EVAL_DEPARTMENT_IDS = ['D07', 'D08'];
const EVAL_EMPLOYEE_COUNT = 8;
const EVAL_ORDER_COUNT = 6;
const EVAL_BOOKING_COUNT = 3;
const EVAL_TICKET_COUNT = 2;
/** Rooms on floor 6 (`XX-604`) are held out. */
const isEvalRoom = (r: MeetingRoom) => r.id.endsWith('-604');

export function entityPools(world: WorldData = DEFAULT_WORLD): Record<Split, EntityPool> {
  const split = <T>(items: readonly T[], evalCount: number): [T[], T[]] => [items.slice(0, items.length - evalCount), items.slice(items.length - evalCount)];
  const [trainEmp, evalEmp] = split(world.employees, EVAL_EMPLOYEE_COUNT);
  const [trainOrders, evalOrders] = split(world.orders, EVAL_ORDER_COUNT);
  const [trainBookings, evalBookings] = split(world.bookings, EVAL_BOOKING_COUNT);
  const [trainTickets, evalTickets] = split(world.tickets, EVAL_TICKET_COUNT);
  const officeIds = new Set(world.rooms.map((r) => r.cityId));
  const officeCities = world.cities.filter((c) => officeIds.has(c.id));
  const pool = (split: Split): EntityPool => {
    const isEval = split === 'eval';
    const orders = isEval ? evalOrders : trainOrders;
    return {
      employees: isEval ? evalEmp : trainEmp,
      weatherCities: world.cities.filter((c) => EVAL_CITY_IDS.includes(c.id) === isEval),
      officeCities,
      rooms: world.rooms.filter((r) => isEvalRoom(r) === isEval),
      departments: world.departments.filter((d) => EVAL_DEPARTMENT_IDS.includes(d.id) === isEval),
      orderIds: orders.map((o) => o.id),
      cancellableOrderIds: orders.filter((o) => o.status === 'pending' || o.status === 'paid').map((o) => o.id),
      bookingIds: (isEval ? evalBookings : trainBookings).map((b) => b.id),
      ticketIds: (isEval ? evalTickets : trainTickets).map((t) => t.id),
    };
  };
  return { train: pool('train'), eval: pool('eval') };
}

/** Every string that names a held-out entity (ids, Chinese and English names), for leak checks. */
export function evalEntityStrings(world: WorldData = DEFAULT_WORLD): string[] {
  const e = entityPools(world).eval;
  return [
    ...e.employees.flatMap((x) => [x.id, x.nameZh, x.nameEn]),
    ...e.weatherCities.flatMap((c) => [c.nameZh, c.nameEn]),
    ...e.rooms.map((r) => r.id),
    ...e.departments.flatMap((d) => [d.nameZh, d.nameEn]),
    ...e.orderIds,
    ...e.bookingIds,
    ...e.ticketIds,
  ];
}
