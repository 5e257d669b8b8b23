import type { Sql } from '../db/client.ts';
import { channelUpsert, userUpsert, type ChannelRow } from '../domain/user-channel-queries.ts';
import type { RunRow } from '../domain/run.ts';
import { leasedEffectInsert, type EffectRequest } from '../effects/effects.ts';
import { runPost } from '../effects/slack-posts.ts';
import { outboxInsert, type PreparedOutboxRow } from '../events/outbox.ts';
import { isDirectMessage, type SlashCommand } from './schema.ts';

/** The channel's settings, if CoffeeBuddy has seen it before. */
export async function findChannel(sql: Sql, slackChannelId: string): Promise<ChannelRow | undefined> {
  const [row] = await sql<ChannelRow[]>`
    select id, enabled, fairness_window_runs
    from channels
    where slack_channel_id = ${slackChannelId}
  `;
  return row;
}

/** Whether CoffeeBuddy is turned off in this channel (`/coffee admin disable`); a channel never seen, or a DM (`D…`), is on. */
export async function channelDisabled(sql: Sql, command: Pick<SlashCommand, 'channel_id' | 'channel_name'>): Promise<boolean> {
  if (isDirectMessage(command)) return false;
  const [row] = await sql<{ enabled: boolean }[]>`select enabled from channels where slack_channel_id = ${command.channel_id}`;
  return row ? !row.enabled : false;
}

export interface OpenRunRow extends Pick<RunRow, 'id' | 'initiatorSlackUserId'> {
  pickupAt: Date | null;
}

/** The channel's open run, if there is one. */
export async function findOpenRun(sql: Sql, channelId: string): Promise<OpenRunRow | undefined> {
  const [row] = await sql<OpenRunRow[]>`
    select r.id, u.slack_user_id as initiator_slack_user_id, r.pickup_at
    from runs r
    join users u on u.id = r.initiator_id
    where r.channel_id = ${channelId}
      and r.status = 'open'
  `;
  return row;
}

export interface StarterRow {
  channel: { enabled: boolean } | null;
  /** The user as stored, if known: their Slack time zone and when it was last read (null: never). */
  user: { timeZone: string | null; timeZoneCheckedAt: Date | null } | null;
}

/** What `/coffee` needs before parsing the text, in one round trip: the channel's switch and the user's stored zone. */
export async function findStarter(sql: Sql, slackChannelId: string, slackUserId: string): Promise<StarterRow> {
  const [row] = await sql<{ enabled: boolean | null; userKnown: boolean; timeZone: string | null; timeZoneCheckedAt: Date | null }[]>`
    select
      (select enabled from channels where slack_channel_id = ${slackChannelId}) as enabled,
      u.id is not null as user_known, u.time_zone, u.time_zone_checked_at
    from (select 1) as one
    left join users u on u.slack_user_id = ${slackUserId}
  `;
  return {
    channel: row!.enabled === null ? null : { enabled: row!.enabled },
    user: row!.userKnown ? { timeZone: row!.timeZone, timeZoneCheckedAt: row!.timeZoneCheckedAt } : null,
  };
}

export type StartRunResult =
  | { kind: 'disabled' }
  | { kind: 'already_open'; open: OpenRunRow }
  | { kind: 'created'; runId: string; fairnessWindowRuns: number | null; effect: { id: string; generation: number } };

/**
 * Start a run in one statement (one round trip, atomic like a transaction): create or refresh the
 * channel (its row lock serializes starts in the channel) and the initiator, then, only if the
 * channel is enabled and has no open run, insert the run with its `run.created` event, the
 * run-message effect (leased to this command, which makes its first attempt) and that post's
 * attempt record (`postOnce`'s, committed before the post). Two starts racing past the open-run
 * check meet the partial unique index `runs_one_open_per_channel`, which refuses the second.
 */
export async function startRunStatement(
  sql: Sql,
  args: {
    runId: string;
    channel: { slackChannelId: string; slackTeamId: string; name: string | null };
    /** From users.info when it was read for this command (`checkedAt` set), else nulls: the stored values stay. */
    user: { slackUserId: string; slackTeamId: string; displayName: string | null; timeZone: string | null; checkedAt: Date | null };
    run: { pickupAt: Date | null; closesAt: Date | null; note: string; timeZone: string; startedAt: Date };
    event: PreparedOutboxRow;
    effect: EffectRequest;
    leaseUntil: Date;
  },
): Promise<StartRunResult> {
  const { channel, user, run } = args;
  const [row] = await sql<
    {
      enabled: boolean;
      fairnessWindowRuns: number | null;
      runId: string | null;
      effectId: string | null;
      effectGeneration: number | null;
      openId: string | null;
      initiatorSlackUserId: string | null;
      pickupAt: Date | null;
    }[]
  >`
    with ch as (${channelUpsert(sql, channel, run.startedAt)}),
    -- A known user with nothing new from users.info is only read: writing their row on every
    -- command would serialize one person's concurrent commands on its lock and bloat it.
    known_initiator as (
      select u.id from users u, ch
      where u.slack_user_id = ${user.slackUserId} and ch.enabled and ${user.checkedAt}::timestamptz is null
    ),
    upserted_initiator as (${userUpsert(
      sql,
      { ...user, timeZoneCheckedAt: user.checkedAt },
      run.startedAt,
      sql`from ch where ch.enabled and not exists (select 1 from known_initiator)`,
    )}),
    initiator as (select id from known_initiator union all select id from upserted_initiator),
    -- The channel's id as a scalar, so the open-run index is always searched by it: joined to
    -- the CTE instead, a plan cached while runs was near empty scanned every open run.
    open_run as (
      select r.id, u.slack_user_id as initiator_slack_user_id, r.pickup_at
      from runs r
      join users u on u.id = r.initiator_id
      where r.channel_id = (select id from ch) and r.status = 'open'
    ),
    new_run as (
      insert into runs (id, channel_id, initiator_id, pickup_at, closes_at, note, time_zone, started_at)
      select ${args.runId}::uuid, ch.id, initiator.id, ${run.pickupAt}::timestamptz, ${run.closesAt}::timestamptz, ${run.note}, ${run.timeZone}, ${run.startedAt}::timestamptz
      from ch, initiator
      where not exists (select 1 from open_run)
      returning id
    ),
    event as (${outboxInsert(sql, args.event, 'new_run')}),
    effect as (${leasedEffectInsert(sql, args.effect, run.startedAt, args.leaseUntil, 'new_run')}),
    post_attempt as (
      insert into slack_messages (post_key, run_id, kind, channel, attempted_at)
      select ${runPost(args.runId, 'run_message').value}, id, 'run_message', ${channel.slackChannelId}, ${run.startedAt}::timestamptz from new_run
    )
    select
      ch.enabled, ch.fairness_window_runs,
      (select id from new_run) as run_id,
      (select id::text from effect) as effect_id,
      (select generation from effect) as effect_generation,
      open_run.id as open_id, open_run.initiator_slack_user_id, open_run.pickup_at
    from ch
    left join open_run on true
  `;
  if (!row!.enabled) return { kind: 'disabled' };
  if (row!.runId && row!.effectId) {
    return {
      kind: 'created',
      runId: row!.runId,
      fairnessWindowRuns: row!.fairnessWindowRuns,
      effect: { id: row!.effectId, generation: row!.effectGeneration! },
    };
  }
  return { kind: 'already_open', open: { id: row!.openId!, initiatorSlackUserId: row!.initiatorSlackUserId!, pickupAt: row!.pickupAt } };
}

/** Store what users.info said about a user (a background refresh of a stale time zone). */
export async function refreshUserProfile(
  sql: Sql,
  args: { slackUserId: string; displayName: string | null; timeZone: string | null; checkedAt: Date },
): Promise<void> {
  await sql`
    update users set
      display_name = coalesce(${args.displayName}, display_name),
      time_zone = coalesce(${args.timeZone}, time_zone),
      time_zone_checked_at = ${args.checkedAt},
      updated_at = ${args.checkedAt}
    where slack_user_id = ${args.slackUserId}
  `;
}

/** Mark an open run failed (its message could not be posted); true if this call changed it. */
export async function failOpenRun(sql: Sql, runId: string, reason: string, now: Date): Promise<boolean> {
  const rows = await sql`
    update runs
    set status = 'failed', failure_reason = ${reason}, updated_at = ${now}
    where id = ${runId}
      and status = 'open'
    returning id
  `;
  return rows.length === 1;
}
