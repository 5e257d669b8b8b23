import { typedText } from '../slack/text.ts';

/**
 * Result of parsing the text after `/coffee`: a pickup time (or none), a note, and when ordering
 * closes by itself (or never), or a user-facing refusal.
 */
export type PickupParse = { ok: true; pickupAt: Date | null; note: string; closesAt: Date | null } | { ok: false; reason: 'syntax' | 'past'; message: string };

/** Wall-clock fields of a local date and time; `month` is 1-based. */
export type WallTime = { year: number; month: number; day: number; hour: number; minute: number };

const NOTE_MAX = 200;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const USAGE = 'Pickup times look like `10:30`, `2pm`, `10:30am`, `in 15m`, `in 1 hour` or `1h30m`, followed by an optional note, e.g. `/coffee 10:30 Lobby`.';

const H = '(?:hours?|hrs?|h)';
const M = '(?:minutes?|mins?|m)';
const END = '(?= |$)';
const MERIDIEM = '([ap])\\.?m\\.?';
/**
 * `10:30`, `10.30`, `10h30` (as written in the UK and Europe; `h` after two digits only, since
 * `1h30` reads as a duration), `10:30pm`, `10.30 am`, `2pm`, `2 pm`. A bare number also matches:
 * alone it is refused (`10` could be 10am, 10pm or 10 minutes), before other words it starts a note.
 */
const CLOCK = new RegExp(`^(\\d{1,2})(?:(?::|\\.|(?<=^\\d\\d)h)(\\d{2}))?(?: ?${MERIDIEM})?${END}`, 'i');
/** Words for a pickup time: `noon` is 12:00; `now` and `asap` mean as soon as someone can go. */
const TIME_WORD = new RegExp(`^(noon|now|asap)${END}`, 'i');
/** How far ahead `now` and `asap` put the pickup: time for a last order and the walk. */
export const ASAP_MINUTES = 10;
/** `in 15m`, `in 1 hour`, `15min`, `1h30m`, `in 1h 30m`. */
const RELATIVE = new RegExp(`^(?:in )?(?:(\\d+) ?${H}(?: ?(\\d+) ?${M})?|(\\d+) ?${M})${END}`, 'i');
/** Leading text that is clearly an attempt at a time (checked only when the forms above did not match). */
const LOOKS_LIKE_TIME = new RegExp(
  [
    '\\d+:',
    `\\d+ ?[ap]\\.?m\\.?${END}`,
    `\\d+(?:${H}|${M})(?:\\d|${END})`,
    `\\d{1,2}\\.\\d{2}(?: ?[ap]\\.?m\\.?)?${END}`,
    `\\d+[.,]\\d+ ?(?:${H}|${M})${END}`,
    'in \\d+(?!\\d|st|nd|rd|th)',
  ]
    .map((p) => `^(?:${p})`)
    .join('|'),
  'i',
);

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields (to the second) of `at` in `timeZone`; throws RangeError for an unknown zone. */
export function wallParts(at: Date, timeZone: string): WallTime & { second: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    const numeric = 'numeric' as const;
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: numeric,
      month: numeric,
      day: numeric,
      hour: numeric,
      minute: numeric,
      second: numeric,
    });
    formatters.set(timeZone, f);
  }
  const n = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const { type, value } of f.formatToParts(at)) if (type in n) n[type as keyof typeof n] = Number(value);
  return { ...n, hour: n.hour % 24 };
}

/** UTC offset of `timeZone` at instant `t`, in milliseconds (positive east of Greenwich). */
function offsetMs(t: number, timeZone: string): number {
  const p = wallParts(new Date(t), timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(t / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timeZone` shows `parts`, with DST handled like Temporal's
 * "compatible" disambiguation: a time repeated by a fall-back transition resolves to its first
 * occurrence; a time skipped by a spring-forward gap moves forward by the gap (Berlin 02:30 → 03:30).
 * @throws RangeError for out-of-range fields (e.g. hour 24, 30 February) or an unknown time zone.
 */
export function zonedWallTimeToUtc(parts: WallTime, timeZone: string): Date {
  const { year, month, day, hour, minute } = parts;
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const d = new Date(wall);
  const fields = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
  if (!Number.isFinite(wall) || fields.some((v, i) => v !== [year, month, day, hour, minute][i])) {
    throw new RangeError(`Invalid wall time ${JSON.stringify(parts)}`);
  }
  const before = offsetMs(wall - DAY, timeZone);
  const after = offsetMs(wall + DAY, timeZone);
  const valid = [wall - before, wall - after].filter((t) => offsetMs(t, timeZone) === wall - t);
  return new Date(valid.length > 0 ? Math.min(...valid) : wall - before);
}

/** `at` as a 24-hour `HH:MM` wall-clock time in `timeZone`, e.g. `"10:30"`. */
export function formatPickup(at: Date, timeZone: string): string {
  const p = wallParts(at, timeZone);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

/** `at` as a 12-hour wall-clock time in `timeZone`, as someone who typed `2pm` writes it: `"2:15pm"`. */
function formatPickup12(at: Date, timeZone: string): string {
  const p = wallParts(at, timeZone);
  return `${p.hour % 12 === 0 ? 12 : p.hour % 12}:${String(p.minute).padStart(2, '0')}${p.hour < 12 ? 'am' : 'pm'}`;
}

/** Times in a refusal, in the style the person typed: 12-hour if they wrote am/pm, else 24-hour. */
function clockFor(text: string): (at: Date, timeZone: string) => string {
  return new RegExp(`\\d ?${MERIDIEM}${END}`, 'i').test(text) ? formatPickup12 : formatPickup;
}

const tick = (s: string): string => typedText(s);
const syntax = (detail: string): PickupParse => ({ ok: false, reason: 'syntax', message: `${detail} ${USAGE}` });

/** The refusal for a clock time earlier today, suggesting a time ~15 minutes out (rounded up to 5 minutes). */
function pastTime(at: Date, now: Date, timeZone: string, note: string, clock: (at: Date, timeZone: string) => string): PickupParse {
  const suffix = note ? ` ${tick(note)}` : '';
  const suggestion = new Date(Math.ceil((now.getTime() + 15 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE);
  const sameDay = wallParts(suggestion, timeZone).day === wallParts(now, timeZone).day;
  const clockHint = sameDay ? `\`/coffee ${clock(suggestion, timeZone)}${suffix}\` or ` : '';
  return {
    ok: false,
    reason: 'past',
    message:
      `${clock(at, timeZone)} has already passed today in ${timeZone} (it's ${clock(now, timeZone)} there now). ` +
      `Try a later time, e.g. ${clockHint}\`/coffee in 15m${suffix}\`.`,
  };
}

/**
 * Parse `/coffee [pickup time] [note]`. `text` follows the command; `now` is the current instant
 * and `timeZone` the user's IANA zone, in which clock times mean today's wall-clock time.
 * A leading token that is not time-like is part of the note; relative times must be 1 minute to 12 hours.
 * @throws RangeError for an unknown `timeZone` (a configuration error, not user input).
 */
export function parseRunText(text: string, now: Date, timeZone: string): PickupParse {
  const full = text.trim().replace(/\s+/g, ' ');
  const clock = clockFor(full);
  const clause = closingClause(full);
  const parsed = parsePickupAndNote(clause ? full.slice(0, clause.index).trimEnd() : full, now, timeZone);
  if (!parsed.ok || !clause) return parsed;
  const closesAt = parseClosingTime(clause.time, now, timeZone);
  if ('message' in closesAt) return closesAt;
  if (closesAt.at.getTime() <= now.getTime()) {
    return {
      ok: false,
      reason: 'past',
      message: `Ordering can't close at ${clock(closesAt.at, timeZone)}: that has already passed today in ${timeZone}.`,
    };
  }
  if (parsed.pickupAt && closesAt.at.getTime() > parsed.pickupAt.getTime()) {
    return {
      ok: false,
      reason: 'syntax',
      message: `Ordering has to close before pickup: ${clock(closesAt.at, timeZone)} is after ${clock(parsed.pickupAt, timeZone)}. ${CLOSES_USAGE}`,
    };
  }
  return { ...parsed, closesAt: closesAt.at };
}

const CLOSES_USAGE = 'To close ordering by itself, end with e.g. `closes 10:15` or `closes in 10m`.';

/** A trailing `closes <time>` (or `closes at <time>`) whose time reads as one; otherwise it is part of the note. */
function closingClause(s: string): { index: number; time: string } | null {
  const match = /(?:^| )closes(?: at)? (.+)$/i.exec(s);
  if (!match) return null;
  const time = match[1]!;
  if (!CLOCK.test(time) && !RELATIVE.test(time) && !LOOKS_LIKE_TIME.test(time)) return null;
  return { index: match.index, time };
}

/** The closing time of a `closes …` clause: a clock time today or a relative time from now. */
function parseClosingTime(time: string, now: Date, timeZone: string): { at: Date } | Extract<PickupParse, { ok: false }> {
  const refuse = (): Extract<PickupParse, { ok: false }> => ({
    ok: false,
    reason: 'syntax',
    message: `I couldn't read \`${tick(time)}\` as a closing time. ${CLOSES_USAGE}`,
  });
  // A past clock time is refused by the caller with closing-time wording.
  const parsed = parsePickupAndNote(time, now, timeZone, { allowPast: true });
  if (!parsed.ok || !parsed.pickupAt || parsed.note !== '') return refuse();
  return { at: parsed.pickupAt };
}

/** `[pickup time] [note]`: the part of the text before any `closes …` clause. */
function parsePickupAndNote(s: string, now: Date, timeZone: string, options: { allowPast?: boolean } = {}): PickupParse {
  let pickupAt: Date | null = null;
  let rest = s;
  let isClock = false;
  const clock = CLOCK.exec(s);
  const rel = RELATIVE.exec(s);
  const word = TIME_WORD.exec(s);
  if (word) {
    const today = wallParts(now, timeZone);
    const noon = word[1]!.toLowerCase() === 'noon';
    pickupAt = noon ? zonedWallTimeToUtc({ ...today, hour: 12, minute: 0 }, timeZone) : new Date(now.getTime() + ASAP_MINUTES * MINUTE);
    rest = s.slice(word[0].length);
    isClock = noon;
  } else if (clock && clock[2] === undefined && clock[3] === undefined && s.trim() === clock[0]) {
    // `/coffee 10` once started a run with no pickup and the note "10": ask which time is meant.
    const hour = Number(clock[1]);
    const options = hour >= 1 && hour <= 12 ? `\`${hour}:00\` (${hour}am), \`${hour}pm\`` : hour <= 23 ? `\`${hour}:00\`` : null;
    return syntax(
      options ? `\`${hour}\` on its own could be a time or minutes: say ${options} or \`in ${hour}m\`.` : `\`${tick(clock[0])}\` isn't a time of day.`,
    );
  } else if (clock && (clock[2] !== undefined || clock[3] !== undefined)) {
    const [token, h, min = '0', mer] = clock;
    const hour = Number(h);
    const minute = Number(min);
    if (minute > 59 || (mer ? hour < 1 || hour > 12 : hour > 23)) return syntax(`\`${token}\` isn't a valid time of day.`);
    const today = wallParts(now, timeZone);
    const hour24 = mer ? (hour % 12) + (mer.toLowerCase() === 'p' ? 12 : 0) : hour;
    pickupAt = zonedWallTimeToUtc({ ...today, hour: hour24, minute }, timeZone);
    rest = s.slice(token.length);
    isClock = true;
  } else if (rel) {
    const [token, hours, extra, mins] = rel;
    const minutes = mins !== undefined ? Number(mins) : Number(hours) * 60 + Number(extra ?? 0);
    if (Number(extra ?? 0) > 59 || !(minutes >= 1 && minutes <= 720)) {
      return syntax(`\`${token}\` is out of range: relative pickup times go from 1 minute to 12 hours.`);
    }
    pickupAt = new Date(now.getTime() + minutes * MINUTE);
    rest = s.slice(token.length);
  } else if (LOOKS_LIKE_TIME.test(s)) {
    const token = s
      .split(' ')
      .slice(0, /^in /i.test(s) ? 2 : 1)
      .join(' ');
    return syntax(`I couldn't read \`${tick(token)}\` as a pickup time.`);
  }
  const note = rest.trim();
  const length = [...note].length;
  if (length > NOTE_MAX) {
    return { ok: false, reason: 'syntax', message: `That note is too long (${length} characters); please keep it to ${NOTE_MAX} characters or fewer.` };
  }
  if (isClock && pickupAt && !options.allowPast && pickupAt.getTime() < now.getTime() - MINUTE) return pastTime(pickupAt, now, timeZone, note, clockFor(s));
  if (pickupAt && wallParts(pickupAt, timeZone).day !== wallParts(now, timeZone).day) {
    // `in 11h` at 15:00 is tomorrow: runs are same-day (pickup, reminders and fairness are per day).
    return {
      ok: false,
      reason: 'syntax',
      message: `That pickup would be after midnight, tomorrow in ${timeZone}: coffee runs are for today. Start it tomorrow, or pick an earlier time.`,
    };
  }
  return { ok: true, pickupAt, note, closesAt: null };
}
