import type { Button, KnownBlock } from '@slack/types';
import { escapeMrkdwn, mention, slackTime, truncate } from '../slack/text.ts';
import { orderLines, type PersonOrder } from './order-list.ts';
import { formatPickup } from './pickup-time.ts';
import { counted } from '../text.ts';
import { runActions } from '../slack/interaction-ids.ts';

/**
 * How the runner is chosen, in one sentence (on every run message and in help); fairness-assign's
 * `chooseRunner` implements exactly this.
 */
export function fairnessRule(windowRuns: number): string {
  return (
    `Whoever presses "I'll go" first runs; otherwise it's whoever served fewest of this channel's last ${counted(windowRuns, 'run')}, ` +
    `then whoever ran the smallest share of the runs they joined lately, then whoever went longest ago, then a fixed tiebreak, and last time's runner is skipped unless they volunteer or nobody else can go. ` +
    'Anyone away (`/coffee away`) is skipped unless they volunteer.'
  );
}

export interface RunMessageInput {
  runId: string;
  initiatorSlackUserId: string;
  pickupAt: Date | null;
  /** When ordering closes by itself, if it does. */
  closesAt?: Date | null;
  timeZone: string;
  note: string;
  fairnessWindowRuns: number;
  orders: readonly PersonOrder[];
  /** Who pressed "I'll go", in click order: the first goes, the rest are next in line. */
  volunteerSlackUserIds?: readonly string[];
}

// Block Kit limits (https://api.slack.com/reference/block-kit/blocks): 50 blocks a message,
// 3000 characters a section. Five blocks are fixed, which leaves room for the order list.
const maxSectionChars = 3000;
const maxOrderSections = 40; // 5 fixed blocks + 40 order sections + 1 volunteer line ≤ 50

/**
 * The pickup time as Slack renders it for each reader, with its day ("10:30 today"; "06:00
 * tomorrow" for a reader whose calendar is ahead), and a fallback in the run's zone. The day
 * follows the time, so Slack keeps "today" lower-case mid-sentence.
 */
export function pickupText(pickupAt: Date | null, timeZone: string): string {
  return pickupAt ? slackTime(pickupAt, `${formatPickup(pickupAt, timeZone)} ${timeZone}`, '{time} {date_short_pretty}') : 'no time set';
}

/** The run message: what, when, who started it, who ordered what, and the buttons. */
export function runMessage(run: RunMessageInput): { text: string; blocks: KnownBlock[] } {
  const pickup = pickupText(run.pickupAt, run.timeZone);
  const note = run.note ? `\n*Note:* ${escapeMrkdwn(run.note)}` : '';
  const closes = run.closesAt ? `\n*Ordering closes:* ${pickupText(run.closesAt, run.timeZone)}` : '';
  const count = run.orders.length;
  const participants = `${count} ${count === 1 ? 'person has' : 'people have'} ordered`;
  const button = (text: string, actionId: string, style?: 'primary'): Button => ({
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: actionId,
    value: run.runId,
    ...(style ? { style } : {}),
  });
  return {
    text: `Coffee run started by ${mention(run.initiatorSlackUserId)}, pickup ${pickup}: ${participants}`,
    blocks: [
      {
        type: 'section',
        block_id: 'run.summary',
        text: {
          type: 'mrkdwn',
          text: `:coffee: *Coffee run* started by ${mention(run.initiatorSlackUserId)}\n*Pickup:* ${pickup}${closes}${note}`,
        },
      },
      { type: 'context', block_id: 'run.participants', elements: [{ type: 'mrkdwn', text: participants }] },
      ...volunteerContext(run),
      ...orderListSections(run.orders),
      {
        type: 'actions',
        block_id: 'run.actions',
        elements: [
          button('Place order', runActions.placeOrder, 'primary'),
          button('Use my last order', runActions.useLastOrder),
          button('Withdraw my order', runActions.withdrawOrder),
          button("I'll go", runActions.volunteer),
          button('Close run', runActions.closeRun),
          button('Cancel run', runActions.cancelRun),
        ],
      },
      {
        type: 'context',
        block_id: 'run.fairness',
        elements: [{ type: 'mrkdwn', text: `:scales: ${fairnessRule(run.fairnessWindowRuns)}` }],
      },
    ],
  };
}

/**
 * Who volunteered, for the open run message: "🙋 <@A> volunteered to go · next in line: <@B>".
 * The first goes, with or without an order; the others go, in turn, if those before them can't.
 */
export function volunteerLine(volunteers: readonly string[]): string | null {
  const [first, ...others] = volunteers;
  if (!first) return null;
  const next = others.length ? ` · next in line: ${others.map(mention).join(', ')}` : '';
  return `🙋 ${mention(first)} volunteered to go${next}`;
}

function volunteerContext(run: RunMessageInput): KnownBlock[] {
  const line = volunteerLine(run.volunteerSlackUserIds ?? []);
  // Context text is capped at 3000 characters too; a very long list is cut.
  return line ? [{ type: 'context', block_id: 'run.volunteers', elements: [{ type: 'mrkdwn', text: truncate(line, maxSectionChars) }] }] : [];
}

/**
 * Who ordered what, one line each, packed into as few sections as the 3000-character limit
 * allows; past the block budget the rest is summarised as "…and N more".
 */
export function orderListSections(orders: readonly PersonOrder[], blockIdPrefix = 'run.orders'): KnownBlock[] {
  const lines = orderLines(orders);
  const sections: string[] = [];
  let current = '';
  for (const [index, line] of lines.entries()) {
    if (current && current.length + 1 + line.length > maxSectionChars) {
      if (sections.length === maxOrderSections - 1) {
        current += `\n…and ${lines.length - index} more`;
        break;
      }
      sections.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) sections.push(current);
  return sections.map((text, index) => ({
    type: 'section',
    block_id: `${blockIdPrefix}.${index}`,
    text: { type: 'mrkdwn', text },
  }));
}

/** How a run ended up, for the run message once it no longer takes orders. */
export type RunOutcome =
  | { kind: 'closed'; runnerSlackUserId: string | null }
  | { kind: 'completed'; runnerSlackUserId: string }
  | { kind: 'canceled'; canceledBySlackUserId: string };

/** The run message after close, completion or cancel: frozen order list, no buttons. */
export function finishedRunMessage(run: RunMessageInput, outcome: RunOutcome): { text: string; blocks: KnownBlock[] } {
  const pickup = pickupText(run.pickupAt, run.timeZone);
  const note = run.note ? `\n*Note:* ${escapeMrkdwn(run.note)}` : '';
  const status =
    outcome.kind === 'canceled'
      ? `:no_entry_sign: Canceled by ${mention(outcome.canceledBySlackUserId)}`
      : outcome.kind === 'completed'
        ? `:white_check_mark: Done: ${mention(outcome.runnerSlackUserId)} picked up the coffee`
        : outcome.runnerSlackUserId
          ? `:lock: Closed: ${mention(outcome.runnerSlackUserId)} is going`
          : run.orders.length === 0
            ? ':lock: Closed: no orders, nobody needs to go'
            : // Orders stand but nobody could be picked (all away, or all said they can't go).
              ':lock: Closed: nobody can go yet';
  return {
    text: `Coffee run started by ${mention(run.initiatorSlackUserId)}: ${status}`,
    blocks: [
      {
        type: 'section',
        block_id: 'run.summary',
        text: {
          type: 'mrkdwn',
          text: `:coffee: *Coffee run* started by ${mention(run.initiatorSlackUserId)}\n*Pickup:* ${pickup}${note}\n${status}`,
        },
      },
      {
        type: 'context',
        block_id: 'run.participants',
        elements: [{ type: 'mrkdwn', text: `${run.orders.length} ${run.orders.length === 1 ? 'order' : 'orders'}` }],
      },
      ...orderListSections(run.orders),
    ],
  };
}
