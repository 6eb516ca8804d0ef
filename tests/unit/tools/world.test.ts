// The seeded enterprise universe: reproducible from its seed, internally consistent.

import { describe, expect, it } from 'vitest';
import { buildWorldData, DEFAULT_WORLD, DEFAULT_WORLD_SEED, findCity, addDays } from '../../../src/tools/enterprise/world.ts';

describe('enterprise world', () => {
  it('is the same for the same seed and different for another', () => {
    expect(buildWorldData(DEFAULT_WORLD_SEED)).toEqual(DEFAULT_WORLD);
    expect(buildWorldData(7).employees.map((e) => e.nameZh)).not.toEqual(DEFAULT_WORLD.employees.map((e) => e.nameZh));
  });
  it('has unique ids and names, and references that resolve', () => {
    const w = DEFAULT_WORLD;
    const ids = new Set(w.employees.map((e) => e.id));
    expect(ids.size).toBe(w.employees.length);
    expect(new Set(w.employees.map((e) => e.nameZh)).size).toBe(w.employees.length);
    expect(new Set(w.employees.map((e) => e.email)).size).toBe(w.employees.length);
    expect(new Set(w.rooms.map((r) => r.id)).size).toBe(w.rooms.length);
    for (const e of w.employees) {
      expect(e.nameEn).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
      if (e.managerId) expect(ids.has(e.managerId)).toBe(true);
    }
    for (const b of w.bookings) {
      expect(w.rooms.some((r) => r.id === b.roomId)).toBe(true);
      expect(ids.has(b.organizerId)).toBe(true);
    }
  });
  it('finds cities by English or Chinese name', () => {
    expect(findCity(DEFAULT_WORLD.cities, '北京')?.id).toBe('beijing');
    expect(findCity(DEFAULT_WORLD.cities, 'new york')?.id).toBe('new_york');
    expect(findCity(DEFAULT_WORLD.cities, 'Atlantis')).toBeUndefined();
  });
  it('adds days across month ends', () => {
    expect(addDays('2025-06-29', 3)).toBe('2025-07-02');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
  });
});
