import { describe, expect, it } from 'vitest';
import { dayLabel, fileSize, money, timeLabel } from './format';

describe('fileSize', () => {
  it('reads as bytes, kilobytes or megabytes', () => {
    expect(fileSize(0)).toBe('0 B');
    expect(fileSize(1023)).toBe('1023 B');
    expect(fileSize(1536)).toBe('1.5 KB');
    expect(fileSize(25 * 1024 * 1024)).toBe('25.0 MB');
  });
});

describe('money', () => {
  it("is in the organisation's currency", () => {
    expect(money(125_000, 'USD', 'en-US')).toBe('$1,250.00');
    expect(money(125_000, 'EUR', 'en-US')).toBe('€1,250.00');
    expect(money(99, 'GBP', 'en-GB')).toBe('£0.99');
  });
  it('is the plain amount when the currency is not said or not known', () => {
    expect(money(125_000, '', 'en-US')).toBe('1,250.00');
    expect(money(125_000, 'not a code', 'en-US')).toBe('1,250.00');
  });
});

describe('dayLabel', () => {
  const now = new Date(2026, 10, 24, 15, 0);
  it('names today and yesterday', () => {
    expect(dayLabel(new Date(2026, 10, 24, 9, 0).toISOString(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 10, 23, 23, 59).toISOString(), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 20, 9, 0).toISOString(), now)).toMatch(/20/);
  });
});

describe('dates and times', () => {
  // The formatters are made once; they must say what the one-off calls say.
  const days = [new Date(2026, 10, 20, 9, 5), new Date(2025, 0, 1, 0, 0), new Date(2026, 5, 30, 23, 59)];
  it('writes a day as toLocaleDateString does', () => {
    const now = new Date(2026, 10, 24, 15, 0);
    for (const d of days) {
      expect(dayLabel(d.toISOString(), now)).toBe(
        d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }),
      );
    }
  });
  it('writes a time as toLocaleTimeString does', () => {
    for (const d of days) {
      expect(timeLabel(d.toISOString())).toBe(d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }));
    }
  });
});
