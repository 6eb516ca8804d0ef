// formatDuration and formatBytes: the units and the carries at their boundaries (a remainder that rounds up).
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration } from '../../../src/util/format.ts';

describe('formatDuration', () => {
  it('prints seconds, minutes and seconds, hours and minutes', () => {
    expect(formatDuration(7.4)).toBe('7s');
    expect(formatDuration(125)).toBe('2m 5s');
    expect(formatDuration(3 * 3600 + 7 * 60 + 12)).toBe('3h 7m');
  });
  it('carries a remainder that rounds up into the next unit', () => {
    expect(formatDuration(59.6)).toBe('1m 0s');
    expect(formatDuration(36 * 60 + 59.6)).toBe('37m 0s');
    expect(formatDuration(59 * 60 + 59.7)).toBe('1h 0m');
  });
  it('says "--" for an unknown or negative duration', () => {
    expect(formatDuration(Number.NaN)).toBe('--');
    expect(formatDuration(Infinity)).toBe('--');
    expect(formatDuration(-1)).toBe('--');
  });
});

describe('formatBytes', () => {
  it('uses binary units with one decimal below 10', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MB');
    expect(formatBytes(Number.NaN)).toBe('?');
  });
});
