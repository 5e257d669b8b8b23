import type { Sql } from '../db/client.ts';
import type { EffectRequest } from '../effects/effects.ts';
import { mention } from '../slack/text.ts';
import { formerMember } from './forgotten.ts';
import { orderFromRow, type OrderSpec } from './orders.ts';
import { syncRunMessage } from './run-message-effect.ts';

/** An order of theirs in a run that is closed but not delivered yet: someone is fetching it. */
export interface UndeliveredCup {
  orderId: string;
  runId: string;
  slackChannelId: string;
  /** Who is fetching it; null while the runner is still being chosen. */
  runnerSlackUserId: string | null;
  order: OrderSpec;
}

/** Whether `/coffee forget-me` can go ahead now, and what it would do to cups on their way. */
export type ForgetCheck =
  | { kind: 'nothing_stored' }
  /**
   * Runs that need them by name until they are over: open runs they ordered in or started
   * (`openRuns`), and runs they are fetching the coffee for (`carrying`). Channel ids.
   */
  | { kind: 'blocked'; openRuns: string[]; carrying: string[] }
  | { kind: 'ready'; undelivered: UndeliveredCup[] };

/** What `/coffee forget-me` did, for the reply. */
export type ForgetOutcome =
  | Exclude<ForgetCheck, { kind: 'ready' }>
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
      /** Their cups on the way, withdrawn (the runner told by DM). */
      withdrawn: UndeliveredCup[];
    };

/** The effect kind that tells a runner a cup on their list was withdrawn. */
export const cupWithdrawnKind = 'forget_me.cup_withdrawn';

/** Ask for the runner's "one cup less" DM, and the run message to drop the cup. */
function cupWithdrawnNotices(cup: UndeliveredCup): EffectRequest[] {
  const notice: EffectRequest = { kind: cupWithdrawnKind, key: `cup_withdrawn:${cup.orderId}`, scope: cup.runId, payload: cup };
  return [...(cup.runnerSlackUserId ? [notice] : []), syncRunMessage(cup.runId)];
}

/**
 * What forgetting this person now would meet (`lock`: their users row is locked, inside the
 * transaction that forgets them). A run is over for this purpose once delivered, canceled or failed.
 */
export async function checkForget(sql: Sql, slackUserId: string, lock: boolean): Promise<ForgetCheck & { userId?: string }> {
  const [user] = lock
    ? await sql<{ id: string }[]>`select id from users where slack_user_id = ${slackUserId} for update`
    : await sql<{ id: string }[]>`select id from users where slack_user_id = ${slackUserId}`;
  if (!user) return { kind: 'nothing_stored' };
  const busy = await sql<{ slackChannelId: string; carrying: boolean }[]>`
    select distinct c.slack_channel_id, r.status = 'closed' as carrying
    from runs r join channels c on c.id = r.channel_id
    where (r.status = 'open'
        and (r.initiator_id = ${user.id}
          or exists (select 1 from orders o where o.run_id = r.id and o.user_id = ${user.id} and o.status = 'active')))
      or (r.status = 'closed' and r.runner_id = ${user.id})
    order by c.slack_channel_id
  `;
  if (busy.length > 0) {
    const ids = (carrying: boolean) => busy.filter((row) => row.carrying === carrying).map((row) => row.slackChannelId);
    return { kind: 'blocked', openRuns: ids(false), carrying: ids(true) };
  }
  const cups = await sql<
    {
      orderId: string;
      runId: string;
      slackChannelId: string;
      runnerSlackUserId: string | null;
      drink: string | null;
      size: string | null;
      customizations: string | null;
      freeText: string | null;
    }[]
  >`
    select o.id as order_id, r.id as run_id, c.slack_channel_id, runner.slack_user_id as runner_slack_user_id,
      o.drink, o.size, o.customizations, o.free_text
    from orders o
    join runs r on r.id = o.run_id
    join channels c on c.id = r.channel_id
    left join users runner on runner.id = r.runner_id
    where o.user_id = ${user.id} and o.status = 'active' and r.status = 'closed'
    order by r.closed_at, o.id
    ${lock ? sql`for update of o, r` : sql``}
  `;
  // Locked (when forgetting): a run marked done meanwhile is re-read as delivered and keeps the cup.
  const undelivered = cups.map(({ drink, size, customizations, freeText, ...cup }) => ({
    ...cup,
    order: orderFromRow({ drink, size, customizations, freeText }),
  }));
  return { kind: 'ready', undelivered, userId: user.id };
}

/**
 * Forget a person, in one transaction: delete their preferences, away periods and volunteer /
 * decline rows; scrub their mention from stored fairness explanations and their id from cancel and
 * reminder records; and give their users row a tombstone id with no name or time zone, so their
 * past orders and the runs they carried stay (fairness history) but belong to nobody known. Their
 * orders in runs not delivered yet are withdrawn first, with a DM to each runner.
 * Running it again finds nothing: the Slack id no longer matches any row.
 */
export async function forgetPerson(
  tx: Sql,
  args: { slackUserId: string; tombstoneId: string; at: Date; enqueue: (tx: Sql, request: EffectRequest) => Promise<string> },
): Promise<{ outcome: ForgetOutcome; effectIds: string[] }> {
  const check = await checkForget(tx, args.slackUserId, true);
  if (check.kind !== 'ready') return { outcome: check, effectIds: [] };
  const user = { id: check.userId! };
  // Cups on their way are withdrawn, so no list shows a cup nobody can hand over; the runner hears it.
  const effectIds: string[] = [];
  for (const cup of check.undelivered) {
    await tx`update orders set status = 'withdrawn', updated_at = ${args.at} where id = ${cup.orderId} and status = 'active'`;
    for (const request of cupWithdrawnNotices(cup)) effectIds.push(await args.enqueue(tx, request));
  }

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
  await tx`update runs set close_requested_by = ${args.tombstoneId} where close_requested_by = ${args.slackUserId}`;
  // A run's life on record (`/coffee history` details) names who did what.
  await tx`update run_life set slack_user_id = ${args.tombstoneId} where slack_user_id = ${args.slackUserId}`;
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
  const outcome: ForgetOutcome = {
    kind: 'forgotten',
    preferences,
    awayPeriods,
    volunteerAndDecline,
    ratings,
    adminActions: kept!.adminActions,
    adminOf,
    pastOrders: kept!.pastOrders,
    runsCarried: kept!.runsCarried,
    withdrawn: check.undelivered,
  };
  return { outcome, effectIds };
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
    update slack_messages set ${scrub('post_key')}, ${scrub('kind')}, ${scrub('channel')}
    where post_key ~ ${word} or kind ~ ${word} or channel ~ ${word}
  `;
}
