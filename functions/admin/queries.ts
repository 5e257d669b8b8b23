import type { Sql } from '../../shared/db/client.ts';

/** What deleting runs empties, children first; `runs` last. */
export const runTables = ['orders', 'reminders', 'run_volunteers', 'run_declines', 'slack_messages', 'slack_effects', 'runs'] as const;
export type RunTable = (typeof runTables)[number];
export type RunDeletion = Record<RunTable, number>;

export function noRunsDeleted(): RunDeletion {
  return { orders: 0, reminders: 0, run_volunteers: 0, run_declines: 0, slack_messages: 0, slack_effects: 0, runs: 0 };
}

/**
 * Delete these runs (locked by the caller in `tx`) and everything that hangs off them, counting
 * rows per table. Children go explicitly, so they are counted and the foreign keys' cascade finds
 * nothing left; `slack_messages` and `slack_effects` have no foreign key (they must never wait on a
 * locked run row), so only this removes them. An effect's scope is its run's id.
 */
export async function deleteRuns(tx: Sql, runIds: readonly string[]): Promise<RunDeletion> {
  const deleted = noRunsDeleted();
  if (runIds.length === 0) return deleted;
  const ids = tx([...runIds]);
  deleted.orders = (await tx`delete from orders where run_id in ${ids}`).count;
  deleted.reminders = (await tx`delete from reminders where run_id in ${ids}`).count;
  deleted.run_volunteers = (await tx`delete from run_volunteers where run_id in ${ids}`).count;
  deleted.run_declines = (await tx`delete from run_declines where run_id in ${ids}`).count;
  deleted.slack_messages = (await tx`delete from slack_messages where run_id in ${ids}`).count;
  deleted.slack_effects = (await tx`delete from slack_effects where scope in ${ids}`).count;
  deleted.runs = (await tx`delete from runs where id in ${ids}`).count;
  return deleted;
}

/** Statuses of runs that are over: nothing will change them any more. */
export const finishedStatuses = ['closed', 'completed', 'canceled', 'failed'] as const;

/**
 * Runs started before their channel's retention window (`data_retention_days` before `now`),
 * locked `skip locked`: two ticks at once take different runs. A run still open that long was
 * left open (runs are same-day): what people ordered in it goes like any other run's.
 */
export async function lockExpiredRuns(tx: Sql, now: Date, limit: number): Promise<string[]> {
  const rows = await tx<{ id: string }[]>`
    select r.id
    from channels c
    join runs r on r.channel_id = c.id
    where r.status in ${tx([...finishedStatuses, 'open'])}
      and r.started_at < ${now}::timestamptz - make_interval(days => c.data_retention_days)
    limit ${limit}
    for update of r skip locked
  `;
  return rows.map((row) => row.id);
}

/**
 * The channel row, locked until commit; undefined when CoffeeBuddy never saw the channel.
 * Starting a run references this row (its foreign key takes a share lock on it), so no run
 * starts in the channel while a reset holds it.
 */
export async function lockChannel(tx: Sql, slackChannelId: string): Promise<string | undefined> {
  const [row] = await tx<{ id: string }[]>`
    select id from channels where slack_channel_id = ${slackChannelId} for update`;
  return row?.id;
}

/**
 * Whether the channel has a run that takes orders. Asked in its own statement after the lock:
 * in read committed it then sees a run whose start committed while the lock was awaited.
 */
export async function hasOpenRun(tx: Sql, channelId: string): Promise<boolean> {
  const rows = await tx`select 1 from runs where channel_id = ${channelId} and status = 'open' limit 1`;
  return rows.length > 0;
}

/** The channel's runs started at or before `before`, except an open one, locked for deletion. */
export async function lockChannelRuns(tx: Sql, channelId: string, before: Date, limit: number): Promise<string[]> {
  const rows = await tx<{ id: string }[]>`
    select id
    from runs
    where channel_id = ${channelId}
      and started_at <= ${before}
      and status <> 'open'
    limit ${limit}
    for update
  `;
  return rows.map((row) => row.id);
}

/** Everyone's remembered last order in the channel, and who said they are away from its runs. */
export async function deleteChannelPreferences(tx: Sql, channelId: string): Promise<number> {
  const away = await tx`delete from away_periods where channel_id = ${channelId}`;
  return (await tx`delete from user_preferences where channel_id = ${channelId}`).count + away.count;
}

/**
 * Bookkeeping tables trimmed by age, with the timestamp their window runs from (a message record's
 * is its expiry). A null (an outbox row not yet published, an effect not done, a dead letter never
 * replayed, a run's message record) is never old enough.
 */
export const windowColumns = {
  outbox: 'published_at',
  processed_events: 'processed_at',
  slack_effects: 'done_at',
  dead_letter_events: 'replayed_at',
  channel_admin_actions: 'created_at',
  slack_messages: 'expires_at',
} as const;
export type WindowTable = keyof typeof windowColumns;

/**
 * Delete up to `limit` rows of `table` whose window started before `before`; returns how many.
 * One short statement: the rows are locked `skip locked` (two ticks at once take different rows)
 * and deleted by ctid, which works whatever the table's key (processed_events has a pair).
 */
export async function deleteOlderThan(sql: Sql, table: WindowTable, before: Date, limit: number): Promise<number> {
  const column = windowColumns[table];
  const result = await sql`
    delete from ${sql(table)}
    where ctid = any(array(
      select ctid
      from ${sql(table)}
      where ${sql(column)} < ${before}
      limit ${limit}
      for update skip locked
    ))
  `;
  return result.count;
}

/**
 * Personal data that outlives what refers to it, in short statements of up to `limit` rows each
 * (`skip locked`: two ticks take different rows). Returns rows deleted by table.
 * - saved last orders and usuals not used within their channel's retention;
 * - away periods that have ended;
 * - people nothing refers to any more (no run, order, preference, away period, volunteer,
 *   decline or rating) and not seen for `personalBefore`;
 * - dead letters never replayed, and Slack effects parked, since before `personalBefore`.
 */
export async function deletePersonalData(sql: Sql, now: Date, personalBefore: Date, limit: number): Promise<Record<string, number>> {
  const preferences = await sql`
    delete from user_preferences where ctid = any(array(
      select p.ctid from user_preferences p join channels c on c.id = p.channel_id
      where p.updated_at < ${now}::timestamptz - make_interval(days => c.data_retention_days)
      limit ${limit} for update of p skip locked))`;
  const away = await sql`
    delete from away_periods where ctid = any(array(
      select ctid from away_periods where away_until < ${now} limit ${limit} for update skip locked))`;
  const users = await sql`
    delete from users where id = any(array(
      select u.id from users u
      where u.updated_at < ${personalBefore}
        and not exists (select 1 from runs r where r.initiator_id = u.id or r.runner_id = u.id)
        and not exists (select 1 from orders o where o.user_id = u.id)
        and not exists (select 1 from user_preferences p where p.user_id = u.id)
        and not exists (select 1 from away_periods a where a.user_id = u.id)
        and not exists (select 1 from run_volunteers v where v.user_id = u.id)
        and not exists (select 1 from run_declines d where d.user_id = u.id)
        and not exists (select 1 from run_feedback f where f.user_id = u.id)
      limit ${limit} for update of u skip locked))`;
  const deadLetters = await sql`
    delete from dead_letter_events where ctid = any(array(
      select ctid from dead_letter_events where replayed_at is null and created_at < ${personalBefore} limit ${limit} for update skip locked))`;
  const parked = await sql`
    delete from slack_effects where ctid = any(array(
      select ctid from slack_effects where done_at is null and parked_at < ${personalBefore} limit ${limit} for update skip locked))`;
  return {
    user_preferences: preferences.count,
    away_periods: away.count,
    users: users.count,
    dead_letter_events_unreplayed: deadLetters.count,
    slack_effects_parked: parked.count,
  };
}
