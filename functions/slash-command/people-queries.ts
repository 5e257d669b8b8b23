import type { Sql } from '../../shared/db/client.ts';
import { formerMember } from '../../shared/domain/forgotten.ts';
import { mention } from '../../shared/slack/text.ts';

/** Away from a channel's runs until `until` (null: until `/coffee back`); replaces any earlier away. */
export async function setAway(sql: Sql, args: { userId: string; channelId: string; until: Date | null; at: Date }): Promise<void> {
  await sql`
    insert into away_periods (user_id, channel_id, away_until, created_at, updated_at)
    values (${args.userId}, ${args.channelId}, ${args.until}, ${args.at}, ${args.at})
    on conflict (channel_id, user_id) do update set
      away_until = excluded.away_until,
      updated_at = excluded.updated_at
  `;
}

/**
 * `/coffee back`: end someone's away in a channel. Returns whether they were away at `at`, and
 * when a past away ended (its row goes too, as nothing reads it any more).
 */
export async function endAway(sql: Sql, args: { slackUserId: string; slackChannelId: string; at: Date }): Promise<{ wasAway: boolean; endedAt: Date | null }> {
  const [row] = await sql<{ awayUntil: Date | null }[]>`
    delete from away_periods a
    using users u, channels c
    where u.id = a.user_id and c.id = a.channel_id
      and u.slack_user_id = ${args.slackUserId}
      and c.slack_channel_id = ${args.slackChannelId}
    returning a.away_until
  `;
  if (!row) return { wasAway: false, endedAt: null };
  const wasAway = row.awayUntil === null || row.awayUntil.getTime() > args.at.getTime();
  return { wasAway, endedAt: wasAway ? null : row.awayUntil };
}

/** What `/coffee forget-me` did, for the reply. */
export type ForgetOutcome =
  | { kind: 'nothing_stored' }
  /** Still part of an open run (ordered in it, or started it): it needs them by name until it closes. */
  | { kind: 'in_open_run'; slackChannelIds: string[] }
  | {
      kind: 'forgotten';
      preferences: number;
      awayPeriods: number;
      volunteerAndDecline: number;
      ratings: number;
      pastOrders: number;
      runsCarried: number;
      adminActions: number;
      adminOf: number;
    };

/**
 * Forget a person, in one transaction: delete their preferences, away periods, volunteer /
 * decline rows and run ratings; scrub their mention from stored fairness explanations and their id from cancel and
 * reminder records; and give their users row a tombstone id with no name or time zone, so their
 * past orders and the runs they carried stay (fairness history) but belong to nobody known.
 * Running it again finds nothing: the Slack id no longer matches any row.
 */
export async function forgetPerson(tx: Sql, args: { slackUserId: string; tombstoneId: string; at: Date }): Promise<ForgetOutcome> {
  const [user] = await tx<{ id: string }[]>`select id from users where slack_user_id = ${args.slackUserId} for update`;
  if (!user) return { kind: 'nothing_stored' };
  const open = await tx<{ slackChannelId: string }[]>`
    select distinct c.slack_channel_id
    from runs r join channels c on c.id = r.channel_id
    where r.status = 'open'
      and (r.initiator_id = ${user.id}
        or exists (select 1 from orders o where o.run_id = r.id and o.user_id = ${user.id} and o.status = 'active'))
    order by c.slack_channel_id
  `;
  if (open.length > 0) return { kind: 'in_open_run', slackChannelIds: open.map((row) => row.slackChannelId) };

  const preferences = (await tx`delete from user_preferences where user_id = ${user.id}`).count;
  const awayPeriods = (await tx`delete from away_periods where user_id = ${user.id}`).count;
  const volunteerAndDecline =
    (await tx`delete from run_volunteers where user_id = ${user.id}`).count + (await tx`delete from run_declines where user_id = ${user.id}`).count;
  const ratings = (await tx`delete from run_feedback where user_id = ${user.id}`).count;
  const [kept] = await tx<{ pastOrders: number; runsCarried: number; adminActions: number }[]>`
    select
      (select count(*)::int from orders where user_id = ${user.id} and status = 'active') as past_orders,
      (select count(*)::int from runs where runner_id = ${user.id} and status in ('closed', 'completed')) as runs_carried,
      (select count(*)::int from channel_admin_actions where actor_slack_user_id = ${args.slackUserId}) as admin_actions
  `;
  // "Why them" explanations name people by mention; the stored ones stop naming this person.
  await tx`
    update runs set runner_reason = replace(runner_reason, ${mention(args.slackUserId)}, ${formerMember})
    where strpos(runner_reason, ${mention(args.slackUserId)}) > 0
  `;
  await tx`update runs set canceled_by = ${args.tombstoneId} where canceled_by = ${args.slackUserId}`;
  await tx`update reminders set recipient_slack_user_id = ${args.tombstoneId} where recipient_slack_user_id = ${args.slackUserId}`;
  const adminOf = (
    await tx`
      update channels set admin_slack_user_ids = array_remove(admin_slack_user_ids, ${args.slackUserId}), updated_at = ${args.at}
      where ${args.slackUserId} = any(admin_slack_user_ids)
    `
  ).count;
  await scrubRecords(tx, args.slackUserId, args.tombstoneId);
  await tx`
    update users set
      slack_user_id = ${args.tombstoneId},
      display_name = null,
      time_zone = null,
      time_zone_checked_at = null,
      updated_at = ${args.at}
    where id = ${user.id}
  `;
  return {
    kind: 'forgotten',
    preferences,
    awayPeriods,
    volunteerAndDecline,
    ratings,
    adminActions: kept!.adminActions,
    adminOf,
    pastOrders: kept!.pastOrders,
    runsCarried: kept!.runsCarried,
  };
}

/**
 * Their Slack id in what CoffeeBuddy keeps about its own work — Slack effects (pending or done),
 * outbox events, dead letters and message records — becomes the tombstone. Matched as a whole word
 * (`\\m…\\M`), so forgetting U1 leaves U12 alone. The admin audit log keeps the actor's id: it is
 * the record of who changed a channel's settings, and expires after a year (retention).
 */
async function scrubRecords(tx: Sql, slackUserId: string, tombstoneId: string): Promise<void> {
  const word = `\\m${slackUserId.replace(/[^A-Za-z0-9]/g, (c) => `\\${c}`)}\\M`;
  const scrub = (column: string) => tx`${tx(column)} = regexp_replace(${tx(column)}, ${word}, ${tombstoneId}, 'g')`;
  const scrubJson = (column: string) => tx`${tx(column)} = regexp_replace(${tx(column)}::text, ${word}, ${tombstoneId}, 'g')::jsonb`;
  await tx`
    update slack_effects set ${scrubJson('payload')}, ${scrub('key')}, ${scrub('scope')}
    where payload::text ~ ${word} or key ~ ${word} or scope ~ ${word}
  `;
  await tx`
    update outbox set ${scrubJson('data')}, ${scrubJson('extensions')}, ${scrub('partition_key')}
    where data::text ~ ${word} or extensions::text ~ ${word} or partition_key ~ ${word}
  `;
  await tx`
    update dead_letter_events set ${scrubJson('attributes')}, data = regexp_replace(data::text, ${word}, ${tombstoneId}, 'g')::jsonb, ${scrub('error')}
    where attributes::text ~ ${word} or data::text ~ ${word} or error ~ ${word}
  `;
  await tx`
    update slack_messages set ${scrub('kind')}, ${scrub('channel')}
    where kind ~ ${word} or channel ~ ${word}
  `;
}
