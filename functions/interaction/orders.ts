import { runEvent } from '../../shared/events/cloud-event.ts';
import { randomUUID } from 'node:crypto';
import { describeOrder, type OrderSpec } from '../../shared/domain/orders.ts';
import { syncRunMessage } from '../../shared/domain/run-message-effect.ts';
import { AppError } from '../../shared/errors.ts';
import type { FunctionDeps, RunStartingDeps } from '../../shared/function.ts';
import type { SlackMessage } from '../../shared/slack/port.ts';
import { escapeMrkdwn } from '../../shared/slack/text.ts';
import { lockRun, recordOrderStatement, withdrawActiveOrder, type ChannelRun } from './queries.ts';
import type { InteractionConfig } from './schema.ts';
import { runActions } from '../../shared/slack/interaction-ids.ts';
import { upsertUser } from '../../shared/domain/user-channel-queries.ts';

export type InteractionDeps = FunctionDeps<InteractionConfig>;
/** What the interaction route is handed: a "Start it as typed" click starts a run. */
export type InteractionRouteDeps = RunStartingDeps<InteractionConfig>;

/** Why a run takes no more orders, in words for the user; null when it is open. */
export function refusalFor(run: Pick<ChannelRun, 'status'> | undefined): string | null {
  if (!run) return "I can't find that coffee run in this channel. Start one with `/coffee`.";
  switch (run.status) {
    case 'open':
      return null;
    case 'closed':
      return 'This run is closed, so orders are frozen. Catch the next one!';
    case 'completed':
      return 'This run is already done. Start a new one with `/coffee`.';
    case 'canceled':
      return 'This run was canceled. Start a new one with `/coffee`.';
    case 'failed':
      return "This run didn't start properly. Start a new one with `/coffee`.";
  }
}

/** Thrown inside an order transaction when the run stopped taking orders meanwhile. */
class RunNotOpen extends AppError {
  constructor() {
    super('conflict', 'run is no longer open', { retryable: false });
  }
}

/**
 * Record the user's order (place or replace) with its event, their last order for the channel,
 * and the run-message refresh, all in one statement under the run's row lock
 * (`recordOrderStatement`) — so an order never slips in after the run closed. Returns null if the
 * run is no longer open, else the change and the refresh effect to run.
 */
export async function recordOrder(
  run: ChannelRun,
  who: { slackUserId: string; slackTeamId: string },
  order: OrderSpec,
  deps: InteractionDeps,
): Promise<{ change: 'placed' | 'updated'; effectId: string } | null> {
  const orderId = randomUUID();
  const { saved } = await recordOrderStatement(deps.sql, {
    runId: run.id,
    channelId: run.channelId,
    slackUserId: who.slackUserId,
    slackTeamId: who.slackTeamId,
    orderId,
    order,
    event: deps.emit.prepare(
      runEvent('com.coffeebuddy.order.placed', { runId: run.id, orderId, slackChannelId: run.slackChannelId, slackUserId: who.slackUserId, order }),
    ),
    effect: syncRunMessage(run.id),
    now: deps.now(),
  });
  if (!saved) return null;
  const change = saved.inserted ? ('placed' as const) : ('updated' as const);
  deps.metrics.ordersTotal.inc({ drink: order.kind === 'free_text' ? 'free_text' : order.drink, change });
  deps.log.info(`order ${change}`, { runId: run.id, user: who.slackUserId });
  return { change, effectId: saved.effectId };
}

/**
 * Withdraw the user's active order (with the run-message refresh); 'none' if they had none, null
 * if the run is no longer open.
 */
export async function withdrawOrder(
  run: ChannelRun,
  who: { slackUserId: string; slackTeamId: string },
  deps: InteractionDeps,
): Promise<{ result: 'withdrawn'; effectId: string } | { result: 'none' } | null> {
  try {
    const result = await deps.sql.begin(async (tx) => {
      if ((await lockRun(tx, run.id)) !== 'open') throw new RunNotOpen();
      const now = deps.now();
      const userId = await upsertUser(tx, who, now);
      const orderId = await withdrawActiveOrder(tx, run.id, userId, now);
      if (!orderId) return { result: 'none' as const };
      const effectId = await deps.effects.enqueue(tx, syncRunMessage(run.id));
      await deps.emit(
        tx,
        runEvent('com.coffeebuddy.order.withdrawn', { runId: run.id, orderId, slackChannelId: run.slackChannelId, slackUserId: who.slackUserId }),
      );
      return { result: 'withdrawn' as const, effectId };
    });
    if (result.result === 'withdrawn') deps.metrics.ordersTotal.inc({ drink: 'any', change: 'withdrawn' });
    deps.log.info(result.result === 'withdrawn' ? 'order withdrawn' : 'withdraw without an order', { runId: run.id, user: who.slackUserId });
    return result;
  } catch (error) {
    if (error instanceof RunNotOpen) return null;
    throw error;
  }
}

/** The ephemeral confirmation: exactly what was recorded, and how to change it. */
export function confirmation(run: ChannelRun, order: OrderSpec, change: 'placed' | 'updated'): Required<SlackMessage> {
  const verb = change === 'placed' ? 'Your order is in' : 'Your order is updated';
  return {
    text: `${verb}: ${escapeMrkdwn(describeOrder(order))}`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `:white_check_mark: *${verb}:* ${escapeMrkdwn(describeOrder(order))}` },
        accessory: {
          type: 'button',
          text: { type: 'plain_text', text: 'Withdraw' },
          action_id: runActions.withdrawOrder,
          value: run.id,
        },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Change it any time before the run closes with *Place order*.' }] },
    ],
  };
}
