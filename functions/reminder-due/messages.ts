import { orderBlocks } from '../../shared/domain/order-blocks.ts';
import type { PersonOrder } from '../../shared/domain/order-list.ts';
import { pickupText } from '../../shared/domain/run-message.ts';
import type { RunView } from '../../shared/domain/run-queries.ts';
import type { SlackMessage } from '../../shared/slack/port.ts';
import { escapeMrkdwn, mention } from '../../shared/slack/text.ts';
import { runActions } from '../../shared/slack/interaction-ids.ts';

/** "in 4 minutes", "in 1 minute", "now". */
function fromNow(at: Date, now: Date): string {
  const minutes = Math.round((at.getTime() - now.getTime()) / 60_000);
  if (minutes <= 0) return 'now';
  return `in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
}

/**
 * The runner's reminder DM: when and where, the order list with totals, Mark done and I can't go. `late`
 * when the reminder time had passed already at assignment (pickup very soon): then it says so.
 */
export function runnerReminder(run: RunView, orders: readonly PersonOrder[], options: { late: boolean; now: Date }): Required<SlackMessage> {
  const pickupAt = run.pickupAt!;
  const when = `${pickupText(pickupAt, run.timeZone)} (${fromNow(pickupAt, options.now)})`;
  const text = options.late
    ? `:alarm_clock: Heads up: pickup for <#${run.slackChannelId}> is soon, at ${when}.`
    : `:alarm_clock: Reminder: pickup for <#${run.slackChannelId}> at ${when}.`;
  const note = run.note ? `\n*Where / note:* ${escapeMrkdwn(run.note)}` : '';
  return {
    text,
    blocks: [
      { type: 'section', block_id: 'reminder', text: { type: 'mrkdwn', text: `${text}${note}` } },
      ...orderBlocks(orders),
      {
        type: 'actions',
        block_id: 'runner.actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Mark done' }, action_id: runActions.markDone, value: run.id, style: 'primary' },
          { type: 'button', text: { type: 'plain_text', text: "I can't go" }, action_id: runActions.cannotGo, value: run.id },
        ],
      },
    ],
  };
}

/** The last call in the run's thread, mentioning who ordered last time but not yet this time. */
export function lastCall(run: RunView, missing: readonly string[], now: Date) {
  const closesAt = run.closesAt!;
  const who = missing.length > 0 ? ` ${missing.map(mention).join(' ')}: you ordered last time; *Use my last order* on the run message is one click.` : '';
  return { text: `:hourglass_flowing_sand: Last call! Ordering closes at ${pickupText(closesAt, run.timeZone)} (${fromNow(closesAt, now)}).${who}` };
}

/** In the thread of a run still open at its pickup time: whoever started it is asked to close or cancel it. */
export function pickupPassed(run: RunView) {
  return {
    text:
      `:hourglass: Pickup time ${pickupText(run.pickupAt!, run.timeZone)} has passed and this run is still open. ` +
      `${mention(run.initiatorSlackUserId)}: *Close run* to pick a runner now, or cancel it.`,
  };
}
