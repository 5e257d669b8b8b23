import { describe, expect, it } from 'vitest';
import { parseAway } from './away-text.ts';

// Wednesday 2026-03-25, 14:10 in Berlin (CET, UTC+1); Berlin moves to summer time (UTC+2) on Sunday the 29th.
const now = new Date('2026-03-25T13:10:00Z');
const berlin = 'Europe/Berlin';
const until = (text: string, timeZone = berlin) => {
  const parsed = parseAway(text, now, timeZone);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.until?.toISOString() ?? null;
};

describe('parseAway', () => {
  it('without an argument: until `/coffee back`', () => {
    expect(parseAway('', now, berlin)).toEqual({ ok: true, until: null });
    expect(parseAway('   ', now, berlin)).toEqual({ ok: true, until: null });
  });

  it.each([
    ['for 3h', '2026-03-25T16:10:00.000Z'],
    ['for 1 hour', '2026-03-25T14:10:00.000Z'],
    ['for an hour', '2026-03-25T14:10:00.000Z'],
    ['for 3d', '2026-03-28T13:10:00.000Z'],
    // Across the change to summer time the wall clock stays at 14:10, so an hour less in UTC.
    ['for 1w', '2026-04-01T12:10:00.000Z'],
    ['for 2w', '2026-04-08T12:10:00.000Z'],
    ['FOR 2 Weeks', '2026-04-08T12:10:00.000Z'],
    ['for a week', '2026-04-01T12:10:00.000Z'],
    ['2w', '2026-04-08T12:10:00.000Z'],
  ])('`%s` ends at the same wall-clock time', (text, expected) => {
    expect(until(text)).toBe(expected);
  });

  it.each([
    // Through that whole day in Berlin, so picked again from the next midnight there.
    ['until 2026-12-24', '2026-12-24T23:00:00.000Z', { year: 2026, month: 12, day: 24 }],
    ['until today', '2026-03-25T23:00:00.000Z', { year: 2026, month: 3, day: 25 }],
    ['until tomorrow', '2026-03-26T23:00:00.000Z', { year: 2026, month: 3, day: 26 }],
    ['until friday', '2026-03-27T23:00:00.000Z', { year: 2026, month: 3, day: 27 }],
    ['till Fri', '2026-03-27T23:00:00.000Z', { year: 2026, month: 3, day: 27 }],
    // After the change to summer time: midnight is 22:00 UTC.
    ['until monday', '2026-03-30T22:00:00.000Z', { year: 2026, month: 3, day: 30 }],
    ['until next thurs', '2026-03-26T23:00:00.000Z', { year: 2026, month: 3, day: 26 }],
    // Today is a Wednesday: "until wednesday" is next week's.
    ['until wednesday', '2026-04-01T22:00:00.000Z', { year: 2026, month: 4, day: 1 }],
    ['until 24 dec', '2026-12-24T23:00:00.000Z', { year: 2026, month: 12, day: 24 }],
    ['until Dec 24th, 2026', '2026-12-24T23:00:00.000Z', { year: 2026, month: 12, day: 24 }],
    // This year's 1 March has passed: next year's.
    ['until march 1', '2027-03-01T23:00:00.000Z', { year: 2027, month: 3, day: 1 }],
  ])('`%s` means through that day', (text, expected, lastDay) => {
    expect(parseAway(text, now, berlin)).toEqual({ ok: true, until: new Date(expected), lastDay });
  });

  it('reads the day in the given time zone', () => {
    // 13:10 UTC is already Thursday 00:10 in Auckland (UTC+13).
    expect(until('until today', 'Pacific/Auckland')).toBe('2026-03-26T11:00:00.000Z');
    expect(until('until 2026-03-25', 'America/New_York')).toBe('2026-03-26T04:00:00.000Z');
  });

  it.each([
    ['for 3x', "I couldn't read `3x` as a duration."],
    ['for', '`for` needs a duration after it.'],
    ['for 0d', 'Away can be from 1 hour to 365 days'],
    ['for 53w', 'Away can be from 1 hour to 365 days'],
    ['until', '`until` needs a day after it.'],
    ['until someday', "I couldn't read `someday` as a day."],
    ['until 24/12', "I couldn't read `24/12` as a day."],
    ['until 2026-02-30', "2026-02-30 isn't a date."],
    ['until 2026-03-24', '`2026-03-24` has already passed.'],
    ['until 2028-01-01', "That's more than 365 days ahead"],
    ['friday', "I couldn't read `friday`."],
    ['until <!channel> `x`', "I couldn't read `&lt;!channel&gt; 'x'` as a day."],
  ])('`%s` is refused with a hint', (text, problem) => {
    const parsed = parseAway(text, now, berlin);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toContain(problem);
    expect(parsed.message).toContain('Try `/coffee away` (until you say `/coffee back`), `/coffee away for 3d`');
    expect(parsed.message).toContain('(Europe/Berlin)');
  });
});
