import { mention } from '../slack/text.ts';
import { listed } from '../text.ts';

/** The deployment's defaults a "not set" (null) setting stands for. */
export interface SettingDefaults {
  reminderOffsetMinutes: number;
  lastCallMinutes: number;
  fairnessWindowRuns: number;
}

/** The defaults as the deployment sets them (`REMINDER_OFFSET_MINUTES`, `LAST_CALL_MINUTES`, `FAIRNESS_WINDOW_RUNS`). */
export function settingDefaults(config: { REMINDER_OFFSET_MINUTES: number; LAST_CALL_MINUTES: number; FAIRNESS_WINDOW_RUNS: number }): SettingDefaults {
  return { reminderOffsetMinutes: config.REMINDER_OFFSET_MINUTES, lastCallMinutes: config.LAST_CALL_MINUTES, fairnessWindowRuns: config.FAIRNESS_WINDOW_RUNS };
}

/** One change as the audit trail stores it: the setting's value before and after. */
export type RecordedChange = { from?: unknown; to?: unknown };

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const ids = (value: unknown): string[] => (Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : []);

/**
 * What a change did, in the words of someone reading the log ("made <@U1> an admin", "set data
 * retention to 30 days (was 90)"): never a field name, a `null` or JSON. The settings' own names
 * are the ones `/coffee admin show` and the settings form use.
 */
export function describeChange(field: string, change: RecordedChange, defaults: SettingDefaults): string {
  const minutes = (value: unknown, fallback: number) => (typeof value === 'number' ? `${value} min` : `not set, ${fallback} min by default`);
  const runs = (value: unknown) => (typeof value === 'number' ? String(value) : `not set, ${defaults.fairnessWindowRuns} by default`);
  /** "set last call to 3 min before …", or back to the default when the new value is not set. */
  const setMinutes = (what: string, before: string, fallback: number) =>
    typeof change.to === 'number'
      ? `set ${what} to ${change.to} min ${before} (was ${minutes(change.from, fallback)})`
      : `set ${what} back to the default, ${fallback} min ${before} (was ${minutes(change.from, fallback)})`;
  const onOff = (what: string) => `turned ${what} ${change.to ? 'on' : 'off'}`;
  switch (field) {
    case 'enabled':
      return change.to ? 'enabled CoffeeBuddy here' : 'disabled CoffeeBuddy here';
    case 'remindersEnabled':
      return onOff('runner reminders');
    case 'lastCallEnabled':
      return onOff('last call');
    case 'reminderOffsetMinutes':
      return setMinutes('runner reminders', 'before pickup', defaults.reminderOffsetMinutes);
    case 'lastCallMinutes':
      return setMinutes('last call', 'before a scheduled close', defaults.lastCallMinutes);
    case 'fairnessWindowRuns':
      return typeof change.to === 'number'
        ? `set the fairness window to the last ${plural(change.to, 'run', 'runs')} (was ${runs(change.from)})`
        : `set the fairness window back to the default, the last ${plural(defaults.fairnessWindowRuns, 'run', 'runs')} (was ${runs(change.from)})`;
    case 'dataRetentionDays':
      return `set data retention to ${plural(Number(change.to), 'day', 'days')} (was ${Number(change.from)})`;
    case 'adminSlackUserIds': {
      const before = ids(change.from);
      const after = ids(change.to);
      const added = after.filter((id) => !before.includes(id)).map(mention);
      const removed = before.filter((id) => !after.includes(id)).map(mention);
      return listed([
        ...(added.length > 0 ? [`made ${listed(added)} ${added.length === 1 ? 'an admin' : 'admins'}`] : []),
        ...(removed.length > 0 ? [`removed ${listed(removed)} as ${removed.length === 1 ? 'admin' : 'admins'}`] : []),
      ]);
    }
    default:
      return 'changed a setting';
  }
}

/** What someone without the right tried to do, from the command or form they used. */
const attempts: Record<string, string> = {
  enable: 'enable CoffeeBuddy',
  disable: 'disable CoffeeBuddy',
  'reminders on': 'turn runner reminders on',
  'reminders off': 'turn runner reminders off',
  offset: 'change when runner reminders go out',
  'lastcall on': 'turn last call on',
  'lastcall off': 'turn last call off',
  'lastcall minutes': 'change when last call goes out',
  window: 'change the fairness window',
  retention: 'change data retention',
  'admins add': 'add an admin',
  'admins remove': 'remove an admin',
  settings: 'save the settings form',
  log: 'read the admin log',
  reset: "reset this channel's CoffeeBuddy data",
};

/**
 * One audit entry as a sentence about the person: "<@U1> made <@U2> an admin", "<@U3> tried to
 * disable CoffeeBuddy (not an admin)", "<@U1> reset this channel's CoffeeBuddy data".
 */
export function describeAdminAction(
  entry: { actorSlackUserId: string; action: string; changes: Record<string, RecordedChange> },
  defaults: SettingDefaults,
): string {
  const who = mention(entry.actorSlackUserId);
  if (entry.action.startsWith('refused:')) {
    const tried = attempts[entry.action.slice('refused:'.length)] ?? "change CoffeeBuddy's settings";
    return `${who} tried to ${tried} (not an admin)`;
  }
  if (entry.action === 'reset') return `${who} reset this channel's CoffeeBuddy data`;
  const done = Object.entries(entry.changes).map(([field, change]) => describeChange(field, change, defaults));
  return `${who} ${done.length > 0 ? listed(done) : 'saved the settings without changes'}`;
}
