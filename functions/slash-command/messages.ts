import type { Block } from '../../shared/slack/port.ts';
import { escapeMrkdwn, mention, slackTime } from '../../shared/slack/text.ts';
import { formatPickup } from './pickup-time.ts';
import type { EphemeralReply } from './schema.ts';

/** Button action ids; the interaction function routes on these. */
export const runActions = {
  placeOrder: 'order.open',
  useLastOrder: 'order.reuse_last',
  closeRun: 'run.close',
} as const;

/** How the runner is chosen, in one line (shown on every run message and in help). */
export function fairnessRule(windowRuns: number): string {
  return (
    `The runner is whoever served fewest of this channel's last ${windowRuns} runs, then whoever went longest ago; ` +
    `last time's runner is skipped unless they volunteer.`
  );
}

export interface RunMessageInput {
  runId: string;
  initiatorSlackUserId: string;
  pickupAt: Date | null;
  timeZone: string;
  note: string;
  participantCount: number;
  fairnessWindowRuns: number;
}

/** The run message posted in the channel: what, when, who started it, and the buttons. */
export function runMessage(run: RunMessageInput): { text: string; blocks: Block[] } {
  const pickup = run.pickupAt
    ? slackTime(run.pickupAt, `${formatPickup(run.pickupAt, run.timeZone)} ${run.timeZone}`)
    : 'no time set';
  const note = run.note ? `\n*Note:* ${escapeMrkdwn(run.note)}` : '';
  const participants = `${run.participantCount} ${run.participantCount === 1 ? 'person has' : 'people have'} ordered`;
  const button = (text: string, actionId: string, style?: 'primary') => ({
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: actionId,
    value: run.runId,
    ...(style ? { style } : {}),
  });
  return {
    text: `Coffee run started by ${mention(run.initiatorSlackUserId)}, pickup ${pickup}`,
    blocks: [
      {
        type: 'section',
        block_id: 'run.summary',
        text: {
          type: 'mrkdwn',
          text: `:coffee: *Coffee run* started by ${mention(run.initiatorSlackUserId)}\n*Pickup:* ${pickup}${note}`,
        },
      },
      { type: 'context', block_id: 'run.participants', elements: [{ type: 'mrkdwn', text: participants }] },
      {
        type: 'actions',
        block_id: 'run.actions',
        elements: [
          button('Place order', runActions.placeOrder, 'primary'),
          button('Use my last order', runActions.useLastOrder),
          button('Close run', runActions.closeRun),
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

/** `/coffee help`. */
export function helpReply(windowRuns: number): EphemeralReply {
  return {
    text: [
      '*CoffeeBuddy* runs the office coffee run.',
      '• `/coffee [pickup time] [note]` starts a run here, e.g. `/coffee 10:30 Lobby cafe` or `/coffee in 15m`.',
      '   Times: `10:30`, `10:30am`, `2pm`, `in 15m`, `15m`, `1h30m`, read in your Slack time zone.',
      '• On the run message: *Place order*, *Use my last order*, and *Close run* (whoever started it, or a channel admin).',
      '• `/coffee help` shows this.',
      `*How the runner is chosen:* ${fairnessRule(windowRuns)}`,
    ].join('\n'),
  };
}

/** Bad syntax: say what was wrong and how to write it. */
export function usageReply(problem: string): EphemeralReply {
  return { text: `${problem}\nUsage: \`/coffee [pickup time] [note]\`, e.g. \`/coffee 10:30 Lobby\`. See \`/coffee help\`.` };
}

export const disabledReply: EphemeralReply = {
  text: 'CoffeeBuddy is disabled here. A channel admin can turn it back on with `/coffee admin`.',
};

/** A second run while one is open. */
export function alreadyOpenReply(initiatorSlackUserId: string, pickupAt: Date | null, timeZone: string): EphemeralReply {
  const when = pickupAt ? `, pickup ${slackTime(pickupAt, formatPickup(pickupAt, timeZone))}` : '';
  return {
    text: `There's already an open coffee run here (started by ${mention(initiatorSlackUserId)}${when}). Order from its message, or close it before starting a new one.`,
  };
}

/** A subcommand whose feature is not part of this release. */
export function notYetReply(subcommand: string): EphemeralReply {
  return { text: `\`/coffee ${subcommand}\` is not available in this version of CoffeeBuddy yet. See \`/coffee help\` for what works today.` };
}

/** The run message could not be posted. */
export function postFailedReply(slackError: string): EphemeralReply {
  if (/not_in_channel|channel_not_found|is_archived/.test(slackError)) {
    return { text: "I can't post in this channel. Invite me with `/invite @CoffeeBuddy`, then try `/coffee` again." };
  }
  return { text: "Slack didn't accept the run message just now, so no run was started. Please try again in a moment." };
}

export const genericFailureReply: EphemeralReply = {
  text: 'Something went wrong on our side and no run was started. Please try again in a moment.',
};
