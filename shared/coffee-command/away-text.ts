import { wallParts, zonedWallTimeToUtc } from '../domain/pickup-time.ts';
import { typedText } from '../slack/text.ts';

/** A calendar day; `month` is 1-based. */
export interface LocalDay {
  year: number;
  month: number;
  day: number;
}

/**
 * What `/coffee away …` asked for: away until `/coffee back` (`until` null), for a while (`until`
 * the instant it ends), or through a day (`lastDay`, with `until` the next midnight), or a hint.
 */
export type AwayParse = { ok: true; until: null } | { ok: true; until: Date; lastDay?: LocalDay } | { ok: false; message: string };

const HOUR = 60 * 60 * 1000;
/** Away longer than this is what a plain `/coffee away` (until `/coffee back`) is for. */
const maxDays = 365;

const units: Record<string, 'hours' | 'days' | 'weeks'> = {};
for (const [unit, names] of [
  ['hours', ['h', 'hr', 'hrs', 'hour', 'hours']],
  ['days', ['d', 'day', 'days']],
  ['weeks', ['w', 'wk', 'wks', 'week', 'weeks']],
] as const) {
  for (const name of names) units[name] = unit;
}

const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** `fri`, `friday`, `tues`, `thurs`: the day of the week (0 = Sunday), or -1. */
function weekdayOf(word: string): number {
  const index = weekdays.indexOf(word.slice(0, 3));
  const full = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][index];
  return index >= 0 && full?.startsWith(word) ? index : -1;
}

/** `dec`, `december`, `sept`: the month (1-based), or 0. */
function monthOf(word: string): number {
  const index = months.indexOf(word.slice(0, 3));
  const full = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'][index];
  return index >= 0 && full?.startsWith(word) ? index + 1 : 0;
}

/** The day `n` days after `day` (normalised: 31 Jan + 1 is 1 Feb). */
function addDays(day: LocalDay, n: number): LocalDay {
  const d = new Date(Date.UTC(day.year, day.month - 1, day.day + n));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Whole days from `a` to `b` (calendar days, no time zone involved). */
function daysBetween(a: LocalDay, b: LocalDay): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / (24 * HOUR));
}

function isRealDay(day: LocalDay): boolean {
  const d = new Date(Date.UTC(day.year, day.month - 1, day.day));
  return day.month >= 1 && day.month <= 12 && d.getUTCFullYear() === day.year && d.getUTCMonth() + 1 === day.month && d.getUTCDate() === day.day;
}

/** What the user typed, quoted back safely: short, no backticks, mrkdwn escaped. */
const tick = (s: string): string => typedText(s);

/** The hint shown with every refusal: what `/coffee away` takes. */
export function awayUsage(timeZone: string): string {
  return (
    'Try `/coffee away` (until you say `/coffee back`), `/coffee away for 3d` or `for 2w` (hours, days or weeks), ' +
    `or \`/coffee away until 2026-12-24\` (also \`until friday\`, \`until 24 dec\`, \`until tomorrow\`), dates read in your time zone (${timeZone}).`
  );
}

/**
 * Read the text after `/coffee away`: nothing (until `/coffee back`), `for <n><h|d|w>` (days and
 * weeks keep the wall-clock time across DST changes), or `until <day>` (a date, weekday, `today`
 * or `tomorrow`; away through that whole day, so picked again from the next midnight). Days are
 * read in `timeZone`; a weekday means the next one after today.
 * @throws RangeError for an unknown `timeZone` (a configuration error, not user input).
 */
export function parseAway(text: string, now: Date, timeZone: string): AwayParse {
  const words = text.trim().toLowerCase().replace(/,/g, ' ').split(/\s+/).filter(Boolean);
  if (words.length === 0) return { ok: true, until: null };
  const refuse = (problem: string): AwayParse => ({ ok: false, message: `${problem} ${awayUsage(timeZone)}` });
  const [keyword, ...rest] = words;
  const what = rest.join(' ');
  if (keyword === 'for') {
    if (what === '') return refuse('`for` needs a duration after it.');
    return forDuration(rest.join(''), now, timeZone, refuse) ?? refuse(`I couldn't read \`${tick(what)}\` as a duration.`);
  }
  if (keyword === 'until' || keyword === 'till' || keyword === 'til' || keyword === 'through') {
    if (what === '') return refuse(`\`${keyword}\` needs a day after it.`);
    return untilDay(rest, now, timeZone, refuse) ?? refuse(`I couldn't read \`${tick(what)}\` as a day.`);
  }
  // `/coffee away 2w` reads as `for 2w`; nothing else goes without its keyword.
  return forDuration(words.join(''), now, timeZone, refuse) ?? refuse(`I couldn't read \`${tick(text.trim())}\`.`);
}

function forDuration(compact: string, now: Date, timeZone: string, refuse: (problem: string) => AwayParse): AwayParse | null {
  const match = /^(\d{1,4}|an?|one)([a-z]+)$/.exec(compact);
  const unit = match && units[match[2]!];
  if (!match || !unit) return null;
  const n = /^\d/.test(match[1]!) ? Number(match[1]) : 1;
  const days = unit === 'weeks' ? n * 7 : unit === 'days' ? n : n / 24;
  if (n < 1 || days > maxDays) {
    return refuse(`Away can be from 1 hour to ${maxDays} days; for longer, \`/coffee away\` lasts until you say \`/coffee back\`.`);
  }
  if (unit === 'hours') return { ok: true, until: new Date(now.getTime() + n * HOUR) };
  const wall = wallParts(now, timeZone);
  return { ok: true, until: zonedWallTimeToUtc({ ...wall, ...addDays(wall, days) }, timeZone) };
}

function untilDay(words: readonly string[], now: Date, timeZone: string, refuse: (problem: string) => AwayParse): AwayParse | null {
  const today = wallParts(now, timeZone);
  const day = dayOf(words, { year: today.year, month: today.month, day: today.day });
  if (day === null) return null;
  if (!isRealDay(day)) return refuse(`${day.year}-${String(day.month).padStart(2, '0')}-${String(day.day).padStart(2, '0')} isn't a date.`);
  const ahead = daysBetween(today, day);
  if (ahead < 0) return refuse(`\`${tick(words.join(' '))}\` has already passed.`);
  if (ahead >= maxDays) return refuse(`That's more than ${maxDays} days ahead; for that long, \`/coffee away\` lasts until you say \`/coffee back\`.`);
  const next = addDays(day, 1);
  return { ok: true, until: zonedWallTimeToUtc({ ...next, hour: 0, minute: 0 }, timeZone), lastDay: day };
}

/** The day the words name, counted from `today`; null when they name none. */
function dayOf(words: readonly string[], today: LocalDay): LocalDay | null {
  const [first, second, third, extra] = words;
  if (first === undefined || extra !== undefined) return null;
  if (second === undefined) {
    if (first === 'today') return today;
    if (first === 'tomorrow') return addDays(today, 1);
    const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(first);
    if (iso) return { year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) };
  }
  // `friday`, `next friday`: the next one after today (a week ahead when today is Friday).
  const weekdayWord = first === 'next' && third === undefined ? second : second === undefined ? first : undefined;
  const weekday = weekdayWord ? weekdayOf(weekdayWord) : -1;
  if (weekday >= 0) {
    const todayWeekday = new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay();
    return addDays(today, ((weekday - todayWeekday + 6) % 7) + 1);
  }
  // `24 dec`, `dec 24th`, `24 december 2026`: this year's, or next year's once this year's is past.
  if (second === undefined) return null;
  const dayFirst = /^(\d{1,2})(?:st|nd|rd|th)?$/.exec(first);
  const daySecond = /^(\d{1,2})(?:st|nd|rd|th)?$/.exec(second);
  const month = dayFirst ? monthOf(second) : daySecond ? monthOf(first) : 0;
  const dayOfMonth = Number((dayFirst ?? daySecond)?.[1]);
  if (month === 0) return null;
  if (third !== undefined) {
    if (!/^\d{4}$/.test(third)) return null;
    return { year: Number(third), month, day: dayOfMonth };
  }
  const thisYear = { year: today.year, month, day: dayOfMonth };
  return isRealDay(thisYear) && daysBetween(today, thisYear) < 0 ? { ...thisYear, year: today.year + 1 } : thisYear;
}
