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
      pastOrders: number;
      runsCarried: number;
      adminActions: number;
    };

/**
 * Forget a person, in one transaction: delete their preferences, away periods and volunteer /
 * decline rows; scrub their mention from stored fairness explanations and their id from cancel and
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
    adminActions: kept!.adminActions,
    pastOrders: kept!.pastOrders,
    runsCarried: kept!.runsCarried,
  };
}
