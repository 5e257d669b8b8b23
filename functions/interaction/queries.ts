import type { Sql } from '../../shared/db/client.ts';
import { effectInsert, type EffectRequest } from '../../shared/effects/effects.ts';
import { outboxInsert, type PreparedOutboxRow } from '../../shared/events/outbox.ts';
import { orderFromRow, orderSpec, type OrderSpec } from '../../shared/domain/orders.ts';
import { userUpsert } from '../../shared/domain/user-channel-queries.ts';
import { isRunId } from '../../shared/domain/run-queries.ts';
import type { RunRow, RunStatus } from '../../shared/domain/run.ts';

/** A run as ordering sees it: with its channel's id and what the order modal shows. */
export interface ChannelRun extends RunRow {
  channelId: string;
  pickupAt: Date | null;
  timeZone: string;
  note: string;
  messageChannel: string | null;
  messageTs: string | null;
  /** The channel's own fairness window; null: the deployment's. */
  fairnessWindowRuns: number | null;
}

/**
 * The run, only if it exists in that Slack channel: run ids from button values and
 * private_metadata are never trusted without this check.
 */
export async function findRunInChannel(sql: Sql, runId: string, slackChannelId: string): Promise<ChannelRun | undefined> {
  if (!isRunId(runId)) return undefined;
  const [row] = await sql<ChannelRun[]>`
    select
      r.id, r.channel_id, r.status, c.slack_channel_id, u.slack_user_id as initiator_slack_user_id, ru.slack_user_id as runner_slack_user_id,
      r.pickup_at, r.time_zone, r.note, r.message_channel, r.message_ts, c.fairness_window_runs
    from runs r
    join channels c on c.id = r.channel_id
    join users u on u.id = r.initiator_id
    left join users ru on ru.id = r.runner_id
    where r.id = ${runId}
      and c.slack_channel_id = ${slackChannelId}
  `;
  return row;
}

/**
 * Whether CoffeeBuddy is turned off where a click or submission belongs: the channel it came from,
 * or the channel of the run it names (a runner's DM button names its run).
 */
export async function disabledFor(sql: Sql, args: { slackChannelId: string | null; runId: string | null }): Promise<boolean> {
  const runId = args.runId && isRunId(args.runId) ? args.runId : null;
  const [row] = await sql<{ disabled: boolean }[]>`
    select exists (
      select 1 from channels c
      where not c.enabled
        and (c.slack_channel_id = ${args.slackChannelId} or c.id = (select channel_id from runs where id = ${runId}::uuid))
    ) as disabled
  `;
  return row!.disabled;
}

/** Lock the run row for the rest of the transaction and return its status. */
export async function lockRun(sql: Sql, runId: string): Promise<RunStatus | undefined> {
  const [row] = await sql<{ status: RunStatus }[]>`select status from runs where id = ${runId} for update`;
  return row?.status;
}

/** The user's active order in a run. */
export async function findActiveOrder(sql: Sql, runId: string, slackUserId: string): Promise<{ id: string; order: OrderSpec } | undefined> {
  const [row] = await sql<{ id: string; drink: string | null; size: string | null; customizations: string | null; freeText: string | null }[]>`
    select o.id, o.drink, o.size, o.customizations, o.free_text
    from orders o join users u on u.id = o.user_id
    where o.run_id = ${runId} and u.slack_user_id = ${slackUserId} and o.status = 'active'
  `;
  return row && { id: row.id, order: orderFromRow(row) };
}

function orderColumns(order: OrderSpec) {
  return order.kind === 'free_text'
    ? { drink: null, size: null, customizations: null, freeText: order.text }
    : { drink: order.drink, size: order.size, customizations: order.customizations, freeText: null };
}

/**
 * Place or replace the user's one active order, in one statement (one round trip, atomic like a
 * transaction): lock the run row and go on only if it is still open (a close waits for the lock
 * or makes this a no-op, so no order slips in after it), create or refresh the user, upsert the
 * order, save it as their last order in the channel, ask for the run-message refresh and write
 * the order event. The partial unique index decides between concurrent submits and double clicks:
 * the second becomes an update, never a second order.
 *
 * `event` is prepared as `order.placed` with `orderId` as the new order's id; when the upsert
 * updates an existing order instead, the statement writes it as `order.updated` with that order's id.
 */
export async function recordOrderStatement(
  sql: Sql,
  args: {
    runId: string;
    channelId: string;
    slackUserId: string;
    slackTeamId: string;
    orderId: string;
    order: OrderSpec;
    event: PreparedOutboxRow;
    effect: EffectRequest;
    now: Date;
  },
): Promise<{ status: RunStatus | undefined; saved: { id: string; inserted: boolean; effectId: string } | null }> {
  const c = orderColumns(args.order);
  const [row] = await sql<{ status: RunStatus | null; orderId: string | null; inserted: boolean | null; effectId: string | null }[]>`
    with locked as (
      select status from runs where id = ${args.runId} for update
    ),
    person as (${userUpsert(sql, { slackUserId: args.slackUserId, slackTeamId: args.slackTeamId }, args.now, sql`from locked where locked.status = 'open'`)}),
    saved as (
      insert into orders (id, run_id, user_id, drink, size, customizations, free_text, created_at, updated_at)
      select ${args.orderId}::uuid, ${args.runId}::uuid, person.id, ${c.drink}, ${c.size}, ${c.customizations}, ${c.freeText}, ${args.now}::timestamptz, ${args.now}::timestamptz
      from person
      on conflict (run_id, user_id) where status = 'active' do update set
        drink = excluded.drink,
        size = excluded.size,
        customizations = excluded.customizations,
        free_text = excluded.free_text,
        updated_at = ${args.now}
      returning id, (xmax = 0) as inserted
    ),
    last_order as (
      insert into user_preferences (user_id, channel_id, last_order)
      select person.id, ${args.channelId}::uuid, ${sql.json(args.order as never)}::jsonb from person
      on conflict (user_id, channel_id) do update set
        last_order = excluded.last_order,
        updated_at = ${args.now}
    ),
    effect as (${effectInsert(sql, args.effect, args.now, 'person')}),
    event as (${outboxInsert(sql, args.event, 'saved', {
      type: sql`case when saved.inserted then ${args.event.type} else 'com.coffeebuddy.order.updated' end`,
      data: sql`jsonb_set(${sql.json(args.event.data as never)}::jsonb, '{orderId}', to_jsonb(saved.id::text))`,
    })})
    select
      (select status from locked) as status,
      saved.id as order_id, saved.inserted,
      (select id::text from effect) as effect_id
    from (select 1) as one
    left join saved on true
  `;
  return {
    status: row!.status ?? undefined,
    saved: row!.orderId && row!.effectId ? { id: row!.orderId, inserted: row!.inserted!, effectId: row!.effectId } : null,
  };
}

/** Withdraw the user's active order; returns its id, or undefined if they had none. */
export async function withdrawActiveOrder(sql: Sql, runId: string, userId: string, now: Date): Promise<string | undefined> {
  const [row] = await sql<{ id: string }[]>`
    update orders set status = 'withdrawn', updated_at = ${now}
    where run_id = ${runId} and user_id = ${userId} and status = 'active'
    returning id
  `;
  return row?.id;
}

/** The user's last confirmed order in a channel. */
export async function findLastOrder(sql: Sql, slackUserId: string, channelId: string): Promise<OrderSpec | undefined> {
  const [row] = await sql<{ lastOrder: unknown }[]>`
    select p.last_order
    from user_preferences p join users u on u.id = p.user_id
    where u.slack_user_id = ${slackUserId} and p.channel_id = ${channelId}
  `;
  const parsed = orderSpec.safeParse(row?.lastOrder);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The user's usuals in a channel: their most frequent active orders across its runs (at most
 * `limit`), most frequent first, then most recent.
 */
export async function findUsuals(sql: Sql, slackUserId: string, channelId: string, limit = 3): Promise<OrderSpec[]> {
  const rows = await sql<{ drink: string | null; size: string | null; customizations: string | null; freeText: string | null }[]>`
    select o.drink, o.size, coalesce(btrim(o.customizations), '') as customizations, o.free_text
    from orders o
    join runs r on r.id = o.run_id
    join users u on u.id = o.user_id
    where u.slack_user_id = ${slackUserId}
      and r.channel_id = ${channelId}
      and o.status = 'active'
      and r.status <> 'canceled'
    group by o.drink, o.size, coalesce(btrim(o.customizations), ''), o.free_text
    order by count(*) desc, max(o.updated_at) desc
    limit ${limit}
  `;
  return rows.map(orderFromRow);
}

/** Mark a closed run done by its runner; returns when, or undefined if it was not closed with them as runner. */
export async function completeRun(sql: Sql, runId: string, runnerSlackUserId: string, now: Date): Promise<Date | undefined> {
  const [row] = await sql<{ completedAt: Date }[]>`
    update runs set status = 'completed', completed_at = ${now}, updated_at = ${now}
    where id = ${runId} and status = 'closed' and runner_id = (select id from users where slack_user_id = ${runnerSlackUserId})
    returning completed_at
  `;
  return row?.completedAt;
}

/** Record that the user can't go on this run; false if they had already said so. */
export async function recordDecline(sql: Sql, runId: string, slackUserId: string): Promise<boolean> {
  const rows = await sql`
    insert into run_declines (run_id, user_id)
    select ${runId}, id from users where slack_user_id = ${slackUserId}
    on conflict do nothing
    returning run_id
  `;
  return rows.length > 0;
}

/**
 * Make the user the runner of a closed run for which nobody could be picked (the fairness rule
 * has decided: `runner_assigned_at` is set), dropping their earlier "I can't go". False when the
 * run has a runner by now, or is not closed.
 */
export async function takeRun(sql: Sql, runId: string, userId: string, reason: string, now: Date): Promise<boolean> {
  const rows = await sql`
    update runs set runner_id = ${userId}, runner_reason = ${reason}, runner_assigned_at = ${now}, updated_at = ${now}
    where id = ${runId} and status = 'closed' and runner_id is null and runner_assigned_at is not null
    returning id
  `;
  if (rows.length === 0) return false;
  await sql`delete from run_declines where run_id = ${runId} and user_id = ${userId}`;
  return true;
}
