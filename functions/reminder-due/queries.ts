import type { Sql } from '../../shared/db/client.ts';
import type { RunRow } from '../../shared/domain/run.ts';

/** Pending runner reminders of a run are dropped (the runner changed, the run ended); returns how many. */
export async function cancelPendingReminders(sql: Sql, runId: string, at: Date): Promise<number> {
  const rows = await sql`
    update reminders set canceled_at = ${at}
    where run_id = ${runId} and kind = 'runner' and sent_at is null and canceled_at is null
    returning id
  `;
  return rows.length;
}

/** What scheduling a runner reminder needs to know about the run and its channel. */
export interface ReminderContext extends Pick<RunRow, 'status' | 'runnerSlackUserId'> {
  pickupAt: Date | null;
  remindersEnabled: boolean;
  offsetMinutes: number | null;
}

export async function findReminderContext(sql: Sql, runId: string): Promise<ReminderContext | undefined> {
  const [row] = await sql<ReminderContext[]>`
    select r.pickup_at, r.status, ru.slack_user_id as runner_slack_user_id,
      c.reminders_enabled, c.reminder_offset_minutes as offset_minutes
    from runs r
    join channels c on c.id = r.channel_id
    left join users ru on ru.id = r.runner_id
    where r.id = ${runId}
  `;
  return row;
}

/** A pending runner reminder; marked sent right away when `sentAt` is given (due already). */
export async function insertRunnerReminder(
  sql: Sql,
  reminder: { runId: string; runnerSlackUserId: string; dueAt: Date; createdAt: Date; sentAt: Date | null },
): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into reminders (run_id, kind, recipient_slack_user_id, due_at, sent_at, created_at)
    values (${reminder.runId}, 'runner', ${reminder.runnerSlackUserId}, ${reminder.dueAt}, ${reminder.sentAt}, ${reminder.createdAt})
    returning id
  `;
  return row!.id;
}

/** A runner reminder that is due, locked so a concurrent tick skips it. */
export interface DueReminder extends Pick<RunRow, 'status' | 'runnerSlackUserId'> {
  id: string;
  runId: string;
  slackChannelId: string;
  recipientSlackUserId: string;
  dueAt: Date;
  remindersEnabled: boolean;
}

/** Due runner reminders (`for update skip locked`: two ticks at once never take the same one). */
export async function lockDueReminders(sql: Sql, now: Date, limit: number): Promise<DueReminder[]> {
  return sql<DueReminder[]>`
    select m.id, m.run_id, c.slack_channel_id, m.recipient_slack_user_id, m.due_at, r.status,
      ru.slack_user_id as runner_slack_user_id, c.reminders_enabled
    from reminders m
    join runs r on r.id = m.run_id
    join channels c on c.id = r.channel_id
    left join users ru on ru.id = r.runner_id
    where m.kind = 'runner' and m.sent_at is null and m.canceled_at is null and m.due_at <= ${now}
    order by m.due_at
    limit ${limit}
    for update of m skip locked
  `;
}

export async function markReminder(sql: Sql, id: string, outcome: 'sent' | 'canceled', at: Date): Promise<void> {
  if (outcome === 'sent') await sql`update reminders set sent_at = ${at} where id = ${id}`;
  else await sql`update reminders set canceled_at = ${at} where id = ${id}`;
}

/** An open run whose ordering closes by itself now, locked for this tick. */
export interface ClosingRun extends Pick<RunRow, 'id' | 'slackChannelId' | 'initiatorSlackUserId'> {
  closesAt: Date;
}

/** Open runs past their scheduled close, not yet asked to close (skip locked against other ticks). */
export async function lockRunsToClose(sql: Sql, now: Date, limit: number): Promise<ClosingRun[]> {
  return sql<ClosingRun[]>`
    select r.id, c.slack_channel_id, i.slack_user_id as initiator_slack_user_id, r.closes_at
    from runs r
    join channels c on c.id = r.channel_id
    join users i on i.id = r.initiator_id
    where r.status = 'open' and r.close_requested_at is null and r.closes_at <= ${now}
    order by r.closes_at
    limit ${limit}
    for update of r skip locked
  `;
}

export async function markCloseRequested(sql: Sql, runId: string, at: Date): Promise<void> {
  await sql`update runs set close_requested_at = ${at}, updated_at = ${at} where id = ${runId}`;
}

/** An open run whose last call is due: scheduled close ahead, channel has last call on, none sent yet. */
export interface LastCallDue extends ThreadReminderDue {
  closesAt: Date;
}

export async function findLastCallsDue(sql: Sql, now: Date, defaultMinutes: number, limit: number): Promise<LastCallDue[]> {
  return sql<LastCallDue[]>`
    select r.id, c.slack_channel_id, r.closes_at,
      r.closes_at - make_interval(mins => coalesce(c.last_call_minutes, ${defaultMinutes})) as due_at
    from runs r
    join channels c on c.id = r.channel_id
    where r.status = 'open'
      and r.closes_at > ${now}
      and c.last_call_enabled
      and r.closes_at - make_interval(mins => coalesce(c.last_call_minutes, ${defaultMinutes})) <= ${now}
      and not exists (select 1 from reminders m where m.run_id = r.id and m.kind = 'last_call')
    order by r.closes_at
    limit ${limit}
  `;
}

/** A run's one reminder in its thread (last call, pickup-passed nudge): due now, not yet claimed. */
export interface ThreadReminderDue {
  id: string;
  slackChannelId: string;
  dueAt: Date;
}

/** Record a run's one reminder of this kind; its reminder id, or null when another tick recorded it first. */
export async function claimThreadReminder(sql: Sql, kind: 'last_call' | 'pickup_passed', run: ThreadReminderDue, now: Date): Promise<string | null> {
  const [row] = await sql<{ id: string }[]>`
    insert into reminders (run_id, kind, due_at, sent_at, created_at)
    values (${run.id}, ${kind}, ${run.dueAt}, ${now}, ${now})
    on conflict do nothing
    returning id
  `;
  return row?.id ?? null;
}

/**
 * Who ordered in the channel's previous run (the last one closed before this run started) but has
 * no order in this one: the people a last call mentions.
 */
export async function missingRegulars(sql: Sql, runId: string): Promise<string[]> {
  const rows = await sql<{ slackUserId: string }[]>`
    with this_run as (select id, channel_id, started_at from runs where id = ${runId}),
    previous as (
      select r.id from runs r, this_run t
      where r.channel_id = t.channel_id and r.id <> t.id and r.started_at < t.started_at
        and r.status in ('closed', 'completed')
      order by r.started_at desc
      limit 1
    )
    select distinct u.slack_user_id
    from orders o
    join users u on u.id = o.user_id
    where o.run_id = (select id from previous) and o.status = 'active'
      and not exists (
        select 1 from orders mine where mine.run_id = ${runId} and mine.user_id = o.user_id and mine.status = 'active'
      )
    order by u.slack_user_id
  `;
  return rows.map((row) => row.slackUserId);
}

/**
 * Open runs whose pickup passed at most `withinMinutes` ago with no nudge yet. Older ones are left
 * alone: a nudge hours late helps nobody (such runs are closed or deleted by retention).
 */
export async function findPickupsPassed(sql: Sql, now: Date, withinMinutes: number, limit: number): Promise<ThreadReminderDue[]> {
  return sql<ThreadReminderDue[]>`
    select r.id, c.slack_channel_id, r.pickup_at as due_at
    from runs r
    join channels c on c.id = r.channel_id
    where r.status = 'open'
      and r.pickup_at <= ${now}
      and r.pickup_at > ${new Date(now.getTime() - withinMinutes * 60_000)}
      and not exists (select 1 from reminders m where m.run_id = r.id and m.kind = 'pickup_passed')
    order by r.pickup_at
    limit ${limit}
  `;
}
