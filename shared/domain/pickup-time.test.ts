import { describe, expect, it } from 'vitest';
import { formatPickup, parseRunText, zonedWallTimeToUtc } from './pickup-time.ts';

const BERLIN = 'Europe/Berlin';
const LA = 'America/Los_Angeles';

/** Parse and expect success, returning the pickup instant as ISO (or null) and the note. */
function ok(text: string, nowIso: string, zone: string): { at: string | null; note: string } {
  const r = parseRunText(text, new Date(nowIso), zone);
  if (!r.ok) throw new Error(`expected ok for ${JSON.stringify(text)}, got ${r.message}`);
  return { at: r.pickupAt?.toISOString() ?? null, note: r.note };
}

function fail(text: string, nowIso: string, zone: string): { reason: string; message: string } {
  const r = parseRunText(text, new Date(nowIso), zone);
  if (r.ok) throw new Error(`expected failure for ${JSON.stringify(text)}, got ${JSON.stringify(r)}`);
  return r;
}

describe('parseRunText: clock times', () => {
  // [zone, now (UTC), text, expected pickup (UTC), note]
  const cases: [string, string, string, string, string][] = [
    // Berlin, the day before spring-forward (CET, +01:00)
    [BERLIN, '2026-03-28T06:00:00Z', '10:30', '2026-03-28T09:30:00Z', ''],
    [BERLIN, '2026-03-28T06:00:00Z', '9:05 Lobby', '2026-03-28T08:05:00Z', 'Lobby'],
    // Berlin, spring-forward day (CEST, +02:00 after 01:00Z)
    [BERLIN, '2026-03-29T06:00:00Z', '10:30', '2026-03-29T08:30:00Z', ''],
    [BERLIN, '2026-03-29T06:00:00Z', '10:30am Lobby', '2026-03-29T08:30:00Z', 'Lobby'],
    [BERLIN, '2026-03-29T06:00:00Z', '10:30 AM Lobby', '2026-03-29T08:30:00Z', 'Lobby'],
    [BERLIN, '2026-03-29T06:00:00Z', '10:30pm', '2026-03-29T20:30:00Z', ''],
    [BERLIN, '2026-03-29T06:00:00Z', '2pm', '2026-03-29T12:00:00Z', ''],
    [BERLIN, '2026-03-29T06:00:00Z', '2 PM Meet At Door', '2026-03-29T12:00:00Z', 'Meet At Door'],
    [BERLIN, '2026-03-29T06:00:00Z', '12pm', '2026-03-29T10:00:00Z', ''],
    [BERLIN, '2026-03-29T06:00:00Z', '23:59', '2026-03-29T21:59:00Z', ''],
    // 02:30 does not exist on spring-forward day: it moves forward to 03:30 CEST
    [BERLIN, '2026-03-29T00:10:00Z', '2:30', '2026-03-29T01:30:00Z', ''],
    // Berlin fall-back: 02:30 happens twice, the first (CEST) occurrence wins
    [BERLIN, '2026-10-25T00:10:00Z', '2:30', '2026-10-25T00:30:00Z', ''],
    [BERLIN, '2026-10-25T09:00:00Z', '10:30', '2026-10-25T09:30:00Z', ''],
    // Los Angeles, spring-forward day (PDT, -07:00 after 10:00Z)
    [LA, '2026-03-08T16:00:00Z', '10:30', '2026-03-08T17:30:00Z', ''],
    [LA, '2026-03-08T16:00:00Z', '2pm', '2026-03-08T21:00:00Z', ''],
    [LA, '2026-03-08T16:00:00Z', '12pm', '2026-03-08T19:00:00Z', ''],
    [LA, '2026-03-08T16:00:00Z', '10:30 pm  Kitchen', '2026-03-09T05:30:00Z', 'Kitchen'],
    // 12am is midnight at the start of today (PST); allowed within the minute of grace
    [LA, '2026-03-08T08:00:30Z', '12am', '2026-03-08T08:00:00Z', ''],
    // Los Angeles in summer and on fall-back day
    [LA, '2026-07-01T16:00:00Z', '9:05 side door', '2026-07-01T16:05:00Z', 'side door'],
    [LA, '2026-11-01T16:00:00Z', '10:30', '2026-11-01T18:30:00Z', ''],
  ];
  it.each(cases)('%s at %s: %j', (zone, now, text, at, note) => {
    expect(ok(text, now, zone)).toEqual({ at: new Date(at).toISOString(), note });
  });
});

describe('parseRunText: relative times', () => {
  const now = '2026-03-29T00:50:00Z'; // 10 minutes before Berlin springs forward
  const cases: [string, number, string][] = [
    ['in 15m', 15, ''],
    ['in 15 min', 15, ''],
    ['in 15 mins Lobby', 15, 'Lobby'],
    ['in 15 minutes', 15, ''],
    ['IN 15 Minutes Kitchen 3F', 15, 'Kitchen 3F'],
    ['in 1h', 60, ''],
    ['in 1 hour', 60, ''],
    ['in 2 hours', 120, ''],
    ['in 1h30m', 90, ''],
    ['in 1h 30m', 90, ''],
    ['15m', 15, ''],
    ['15min Lobby', 15, 'Lobby'],
    ['1h', 60, ''],
    ['1h30m', 90, ''],
    ['in 1m', 1, ''],
  ];
  it.each(cases)('%j is %i minutes from now', (text, minutes, note) => {
    for (const zone of [BERLIN, LA]) {
      const at = new Date(Date.parse(now) + minutes * 60_000).toISOString();
      expect(ok(text, now, zone)).toEqual({ at, note });
    }
  });
});

describe('parseRunText: how people write times, and what runs are for', () => {
  const morning = '2026-06-15T06:00:00Z'; // 08:00 in Berlin
  it.each([
    ['10.30', '2026-06-15T08:30:00.000Z', ''],
    ['10h30 Lobby', '2026-06-15T08:30:00.000Z', 'Lobby'],
    ['10.30am', '2026-06-15T08:30:00.000Z', ''],
    ['9.30', '2026-06-15T07:30:00.000Z', ''],
    ['noon Lobby', '2026-06-15T10:00:00.000Z', 'Lobby'],
    ['now', '2026-06-15T06:10:00.000Z', ''],
    ['asap Lobby', '2026-06-15T06:10:00.000Z', 'Lobby'],
    ['in 12h', '2026-06-15T18:00:00.000Z', ''],
  ])('%j is a pickup time today', (text, at, note) => {
    expect(ok(text, morning, BERLIN)).toEqual({ at, note });
  });

  it('asks which time a bare number is, instead of starting a run with no time and the note "10"', () => {
    expect(fail('10', morning, BERLIN).message).toMatch(/^`10` on its own could be a time or minutes: say `10:00` \(10am\), `10pm` or `in 10m`\./);
    expect(fail('14', morning, BERLIN).message).toMatch(/^`14` on its own could be a time or minutes: say `14:00` or `in 14m`\./);
  });

  it('refuses a pickup after midnight: runs are same-day', () => {
    const afternoon = '2026-06-15T13:00:00Z'; // 15:00 in Berlin
    expect(fail('in 11h', afternoon, BERLIN).message).toBe(
      'That pickup would be after midnight, tomorrow in Europe/Berlin: coffee runs are for today. Start it tomorrow, or pick an earlier time.',
    );
  });
});

describe('parseRunText: notes without a pickup time', () => {
  const now = '2026-06-15T08:00:00Z';
  const cases: [string, string][] = [
    ['', ''],
    ['   ', ''],
    ['in the lobby', 'in the lobby'],
    ['In The Lobby, by the PLANT', 'In The Lobby, by the PLANT'],
    ['in soon', 'in soon'],
    ['in 3rd floor kitchen', 'in 3rd floor kitchen'],
    ['2 coffees   for   Bob', '2 coffees for Bob'],
    ['3rd floor', '3rd floor'],
    ['2mugs please', '2mugs please'],
    ['  Oat   milk\tPLEASE \n ', 'Oat milk PLEASE'],
    ['amazing coffee', 'amazing coffee'],
  ];
  it.each(cases)('%j', (text, note) => {
    for (const zone of [BERLIN, LA]) expect(ok(text, now, zone)).toEqual({ at: null, note });
  });

  it('keeps the note after a time verbatim apart from whitespace', () => {
    expect(ok('10:30   Lobby *by* the  `door` :coffee:', now, BERLIN)).toEqual({
      at: '2026-06-15T08:30:00.000Z',
      note: 'Lobby *by* the `door` :coffee:',
    });
  });
});

describe('parseRunText: invalid times', () => {
  const now = '2026-06-15T08:00:00Z';
  const cases = [
    '25:00',
    '24:00',
    '10:75',
    '13pm',
    '0pm',
    '0:30am',
    '10:3',
    '10:3 Lobby',
    '123pm',
    '1.5h',
    'in 0m',
    'in 999h',
    'in 721m',
    'in 13 hours',
    'in 5',
    'in 5 Lobby',
    'in 2 weeks',
    '1h30',
    '1h75m',
    '0m',
    '10:30xyz',
  ];
  it.each(cases)('%j is a syntax error with a usage hint', (text) => {
    for (const zone of [BERLIN, LA]) {
      const r = fail(text, now, zone);
      expect(r.reason).toBe('syntax');
      expect(r.message).toContain('`10:30`');
      expect(r.message).toContain('`in 15m`');
      expect(r.message).not.toMatch(/\n|Error|at .*\.ts/);
    }
  });

  it('names the offending token', () => {
    expect(fail('25:00 Lobby', now, BERLIN).message).toMatch(/^`25:00` isn't a valid time of day\./);
    expect(fail('in 999h', now, BERLIN).message).toMatch(/^`in 999h` is out of range: .*1 minute to 12 hours/);
    expect(fail('in 2 weeks', now, BERLIN).message).toMatch(/^I couldn't read `in 2` as a pickup time\./);
  });
});

describe('parseRunText: times already past today', () => {
  it('refuses a past clock time with a concrete later suggestion in the zone', () => {
    // 10:20 CEST
    const r = fail('10:00 Lobby', '2026-06-15T08:20:00Z', BERLIN);
    expect(r.reason).toBe('past');
    expect(r.message).toBe(
      "10:00 has already passed today in Europe/Berlin (it's 10:20 there now). " + 'Try a later time, e.g. `/coffee 10:35 Lobby` or `/coffee in 15m Lobby`.',
    );
  });

  it('rounds the suggestion up to 5 minutes, omits a missing note, and writes times as they were typed (12-hour after am/pm)', () => {
    // 09:21:10 PDT → suggest 9:40am
    const r = fail('9am', '2026-06-15T16:21:10Z', LA);
    expect(r).toEqual({
      ok: false,
      reason: 'past',
      message:
        "9:00am has already passed today in America/Los_Angeles (it's 9:21am there now). " + 'Try a later time, e.g. `/coffee 9:40am` or `/coffee in 15m`.',
    });
    // 14:20 PDT
    expect(fail('2pm', '2026-06-15T21:20:00Z', LA).message).toBe(
      "2:00pm has already passed today in America/Los_Angeles (it's 2:20pm there now). " + 'Try a later time, e.g. `/coffee 2:35pm` or `/coffee in 15m`.',
    );
    expect(fail('12pm closes 11am', '2026-06-15T18:30:00Z', LA).message).toBe(
      "Ordering can't close at 11:00am: that has already passed today in America/Los_Angeles.",
    );
  });

  it('refuses 12am after midnight and a clock time on DST day', () => {
    expect(fail('12am', '2026-03-08T16:00:00Z', LA).reason).toBe('past');
    expect(fail('9:30', '2026-03-29T08:00:00Z', BERLIN).message).toContain("(it's 10:00 there now)");
  });

  it('gives one minute of grace', () => {
    expect(ok('10:00', '2026-06-15T08:00:59Z', BERLIN).at).toBe('2026-06-15T08:00:00.000Z');
    expect(ok('10:00', '2026-06-15T08:01:00Z', BERLIN).at).toBe('2026-06-15T08:00:00.000Z');
    expect(fail('10:00', '2026-06-15T08:01:01Z', BERLIN).reason).toBe('past');
  });

  it('only suggests the relative form when a clock suggestion would be tomorrow', () => {
    const r = fail('23:00', '2026-06-15T21:50:00Z', BERLIN); // 23:50 CEST
    expect(r.message).toContain('e.g. `/coffee in 15m`.');
    expect(r.message).not.toContain('`/coffee 00:');
  });
});

describe('parseRunText: note length', () => {
  const now = '2026-06-15T08:00:00Z';
  it('accepts 200 characters and refuses 201', () => {
    expect(ok('x'.repeat(200), now, BERLIN).note).toHaveLength(200);
    expect(ok(`10:30 ${'x'.repeat(200)}`, now, BERLIN).note).toHaveLength(200);
    for (const text of ['x'.repeat(201), `in 15m ${'x'.repeat(201)}`, `10:00 ${'x'.repeat(201)}`]) {
      const r = fail(text, now, BERLIN);
      expect(r.reason).toBe('syntax');
      expect(r.message).toContain('too long');
      expect(r.message).toContain('200 characters');
    }
  });

  it('counts collapsed whitespace, not the raw input', () => {
    expect(ok(`a${' '.repeat(300)}b`, now, LA).note).toBe('a b');
  });
});

describe('zonedWallTimeToUtc', () => {
  const cases: [string, [number, number, number, number, number], string][] = [
    [BERLIN, [2026, 1, 15, 12, 0], '2026-01-15T11:00:00.000Z'],
    [BERLIN, [2026, 7, 15, 12, 0], '2026-07-15T10:00:00.000Z'],
    [BERLIN, [2026, 3, 29, 1, 59], '2026-03-29T00:59:00.000Z'],
    [BERLIN, [2026, 3, 29, 2, 30], '2026-03-29T01:30:00.000Z'], // gap → 03:30 CEST
    [BERLIN, [2026, 3, 29, 3, 0], '2026-03-29T01:00:00.000Z'],
    [BERLIN, [2026, 10, 25, 2, 30], '2026-10-25T00:30:00.000Z'], // ambiguous → first
    [BERLIN, [2026, 10, 25, 3, 0], '2026-10-25T02:00:00.000Z'],
    [LA, [2026, 3, 8, 2, 30], '2026-03-08T10:30:00.000Z'], // gap → 03:30 PDT
    [LA, [2026, 11, 1, 1, 30], '2026-11-01T08:30:00.000Z'], // ambiguous → PDT
    [LA, [2026, 12, 31, 23, 59], '2027-01-01T07:59:00.000Z'],
    ['Asia/Kathmandu', [2026, 6, 1, 10, 0], '2026-06-01T04:15:00.000Z'],
    ['UTC', [2024, 2, 29, 0, 0], '2024-02-29T00:00:00.000Z'],
  ];
  it.each(cases)('%s %j', (zone, [year, month, day, hour, minute], iso) => {
    expect(zonedWallTimeToUtc({ year, month, day, hour, minute }, zone).toISOString()).toBe(iso);
  });

  it('round-trips every existing quarter hour across DST days', () => {
    for (const [zone, year, month, day, gapHour] of [
      [BERLIN, 2026, 3, 29, 2],
      [BERLIN, 2026, 10, 25, -1],
      [LA, 2026, 3, 8, 2],
      [LA, 2026, 11, 1, -1],
    ] as const) {
      for (let hour = 0; hour < 24; hour++) {
        if (hour === gapHour) continue;
        for (const minute of [0, 15, 30, 45]) {
          const at = zonedWallTimeToUtc({ year, month, day, hour, minute }, zone);
          expect(formatPickup(at, zone)).toBe(`${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`);
        }
      }
    }
  });

  it('rejects out-of-range fields and unknown zones', () => {
    expect(() => zonedWallTimeToUtc({ year: 2026, month: 2, day: 30, hour: 10, minute: 0 }, BERLIN)).toThrow(RangeError);
    expect(() => zonedWallTimeToUtc({ year: 2026, month: 1, day: 1, hour: 24, minute: 0 }, BERLIN)).toThrow(RangeError);
    expect(() => zonedWallTimeToUtc({ year: 2026, month: 1, day: 1, hour: 9, minute: 0 }, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('formatPickup', () => {
  it.each([
    ['2026-06-15T08:30:00Z', BERLIN, '10:30'],
    ['2026-01-15T08:30:00Z', BERLIN, '09:30'],
    ['2026-06-15T07:00:00Z', LA, '00:00'],
    ['2026-06-15T06:59:59Z', LA, '23:59'],
  ])('%s in %s is %s', (iso, zone, expected) => {
    expect(formatPickup(new Date(iso), zone)).toBe(expected);
  });
});

describe('parseRunText: ordering that closes by itself', () => {
  const at = (text: string, nowIso = '2026-11-30T09:00:00Z', zone = 'Europe/Berlin') => parseRunText(text, new Date(nowIso), zone);

  it('reads `closes <clock>` and `closes in <duration>` after the pickup time and note', () => {
    const clock = at('10:30 Lobby cafe closes 10:15');
    expect(clock).toMatchObject({ ok: true, note: 'Lobby cafe' });
    if (!clock.ok) throw new Error('expected ok');
    expect(clock.pickupAt?.toISOString()).toBe('2026-11-30T09:30:00.000Z');
    expect(clock.closesAt?.toISOString()).toBe('2026-11-30T09:15:00.000Z');
    const relative = at('in 45m closes in 10m');
    if (!relative.ok) throw new Error('expected ok');
    expect(relative.closesAt?.toISOString()).toBe('2026-11-30T09:10:00.000Z');
    expect(relative.note).toBe('');
    const withAt = at('11:00 closes at 10:45am');
    expect(withAt.ok && withAt.closesAt?.toISOString()).toBe('2026-11-30T09:45:00.000Z');
  });

  it('has no scheduled close unless asked, and keeps "closes" that is not followed by a time in the note', () => {
    expect(at('10:30 Lobby')).toMatchObject({ ok: true, closesAt: null });
    expect(at('10:30 the cafe closes early')).toMatchObject({ ok: true, note: 'the cafe closes early', closesAt: null });
  });

  it('refuses a closing time after pickup, one already past, and one it cannot read', () => {
    expect(at('10:30 closes 10:45')).toMatchObject({ ok: false, message: expect.stringContaining('Ordering has to close before pickup') });
    expect(at('10:30 closes 09:30')).toMatchObject({ ok: false, reason: 'past', message: expect.stringContaining("can't close at 09:30") });
    expect(at('10:30 closes 25:00')).toMatchObject({
      ok: false,
      reason: 'syntax',
      message: expect.stringContaining("couldn't read `25:00` as a closing time"),
    });
  });

  it('reads the closing clock time in the user zone on a DST day', () => {
    // 29 March 2026: Berlin springs forward at 02:00 → 03:00 (UTC+1 → UTC+2).
    const r = at('04:30 closes 03:30', '2026-03-29T00:30:00Z');
    if (!r.ok) throw new Error(r.message);
    expect(r.closesAt?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(r.pickupAt?.toISOString()).toBe('2026-03-29T02:30:00.000Z');
  });
});
