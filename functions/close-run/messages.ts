import type { Button } from '@slack/types';
import { orderBlocks } from '../../shared/domain/order-blocks.ts';
import type { PersonOrder } from '../../shared/domain/order-list.ts';
import { pickupText } from '../../shared/domain/run-message.ts';
import type { RunView } from '../../shared/domain/run-queries.ts';
import type { SlackMessage } from '../../shared/slack/port.ts';
import { escapeMrkdwn, mention } from '../../shared/slack/text.ts';
import { runActions } from '../../shared/slack/interaction-ids.ts';

const heading = (run: RunView) => {
  const note = run.note ? ` · ${escapeMrkdwn(run.note)}` : '';
  return `*Pickup:* ${pickupText(run.pickupAt, run.timeZone)}${note}`;
};

/** The one summary posted in the channel when the runner is known (or nobody needs to go). */
export function summaryMessage(run: RunView, orders: readonly PersonOrder[], change?: { declinedSlackUserId: string }): Required<SlackMessage> {
  if (!run.runnerSlackUserId && orders.length === 0) {
    const text = ':coffee: Coffee run closed: no orders, nobody needs to go.';
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${text}\n${heading(run)}` } }] };
  }
  if (!run.runnerSlackUserId) {
    // Not a dead end: anyone here can still take it, and whoever started it can cancel it.
    const text = `:coffee: Coffee run closed: nobody can go yet. ${run.runnerReason ?? ''}`.trimEnd();
    const ask = `Can you go? *I'll take it* makes you the runner, or ${mention(run.initiatorSlackUserId)} can cancel the run with \`/coffee cancel\`.`;
    return {
      text,
      blocks: [
        { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: `${text}\n${heading(run)}` } },
        ...orderBlocks(orders),
        { type: 'section', block_id: 'take', text: { type: 'mrkdwn', text: ask } },
        {
          type: 'actions',
          block_id: 'take.actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: "I'll take it" }, action_id: runActions.takeRun, value: run.id, style: 'primary' }],
        },
      ],
    };
  }
  const runner = mention(run.runnerSlackUserId);
  const swap = change ? `${mention(change.declinedSlackUserId)} can't go, so ` : '';
  const text = `:coffee: Coffee run closed: ${swap}${runner} is going (${orders.length} ${orders.length === 1 ? 'order' : 'orders'})`;
  return {
    text,
    blocks: [
      { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: `${text}\n${heading(run)}` } },
      { type: 'context', block_id: 'why', elements: [{ type: 'mrkdwn', text: `:scales: *Why:* ${run.runnerReason ?? ''}` }] },
      ...orderBlocks(orders),
    ],
  };
}

/**
 * The runner's DM: the same list and totals, with Mark done and I can't go. A pickup time already
 * past when they are picked (the run was closed late) is said plainly: go now.
 */
export function runnerDm(run: RunView, orders: readonly PersonOrder[], now: Date): Required<SlackMessage> {
  const late = run.pickupAt && run.pickupAt.getTime() <= now.getTime() ? ' The pickup time has passed: go as soon as you can.' : '';
  const text = `You're the coffee runner for <#${run.slackChannelId}>: ${orders.length} ${orders.length === 1 ? 'order' : 'orders'}.${late}`;
  const button = (label: string, actionId: string, style?: 'primary'): Button => ({
    type: 'button',
    text: { type: 'plain_text', text: label },
    action_id: actionId,
    value: run.id,
    ...(style ? { style } : {}),
  });
  return {
    text,
    blocks: [
      { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: `:runner: ${text}\n${heading(run)}` } },
      ...orderBlocks(orders),
      {
        type: 'actions',
        block_id: 'runner.actions',
        elements: [button('Mark done', runActions.markDone, 'primary'), button("I can't go", runActions.cannotGo)],
      },
    ],
  };
}

/** What the runner's DM and reminders become once the run is done: the list stays, the buttons go. */
export function doneDm(run: RunView, orders: readonly PersonOrder[]): Required<SlackMessage> {
  const text = `Done — thanks for getting the coffee for <#${run.slackChannelId}>!`;
  return {
    text,
    blocks: [{ type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: `:white_check_mark: ${text}\n${heading(run)}` } }, ...orderBlocks(orders)],
  };
}

/** Told in the run's thread when its runner marks it done. */
export function doneNotice(runnerSlackUserId: string): string {
  return `:white_check_mark: Completed by ${mention(runnerSlackUserId)}`;
}

/** Told in a stuck run's thread: what stopped, that an operator must act, and that orders are kept. */
export function stuckNotice(step: 'close' | 'runner'): string {
  const what = step === 'close' ? 'while closing' : 'while picking its runner';
  return `:warning: This coffee run is stuck ${what} and needs an operator; they have been alerted. Your orders are kept; once it's fixed, the runner is announced in the channel.`;
}

/** What a DM becomes when its runner is off the hook (declined, or the run was canceled). */
export function releasedDm(run: RunView, reason: string): Required<SlackMessage> {
  const text = `No need to go for <#${run.slackChannelId}> any more: ${reason}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:ok_hand: ${text}` } }] };
}

/**
 * Told in the run's thread when it is canceled. The canceller and the runner are named as plain
 * text (they know, and the runner gets a DM); everyone else who ordered is mentioned.
 */
export function canceledNotice(
  canceller: { slackUserId: string; name: string },
  runner: { slackUserId: string; name: string } | null,
  orders: readonly PersonOrder[],
): string {
  const informed = new Set([canceller.slackUserId, runner?.slackUserId]);
  const who = orders
    .filter((o) => !informed.has(o.slackUserId))
    .map((o) => mention(o.slackUserId))
    .join(' ');
  const going = runner && runner.slackUserId !== canceller.slackUserId ? ` ${runner.name} was going to pick it up and is told in a DM.` : '';
  return `:no_entry_sign: This coffee run was canceled by ${canceller.name}.${going}${who ? ` ${who}: your orders won't be picked up.` : ''}`;
}
