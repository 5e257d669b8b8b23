import type { KnownBlock } from '@slack/types';
import { z } from 'zod';
import type { EffectDeps } from '../effects/effects.ts';
import { postOnce, runPost } from '../effects/slack-posts.ts';
import type { SlackMessage } from '../slack/port.ts';
import { mention } from '../slack/text.ts';
import { listed } from '../text.ts';
import type { ForgetCheck, ForgetOutcome, UndeliveredCup } from './forget-me-queries.ts';
import { formerMember } from './forgotten.ts';
import { orderSpec, renderOrder } from './orders.ts';
import { forgetMeConfirmAction } from '../slack/interaction-ids.ts';
import { expiringDangerButton } from '../slack/expiring-button.ts';

/** How long the confirmation button works. */
const confirmMinutes = 5;

const channelLink = (slackChannelId: string) => `<#${slackChannelId}>`;
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** A cup on its way, as its owner reads it: "your *Mocha · Large* from the coffee run in #coffee". */
const yourCup = (cup: UndeliveredCup) => `your *${renderOrder(cup.order)}* from the coffee run in ${channelLink(cup.slackChannelId)}`;

/** Why forgetting has to wait: runs that need them by name until they are over. */
function blockedText(check: Extract<ForgetCheck, { kind: 'blocked' }>): string {
  const lines = ['Nothing was deleted yet:'];
  if (check.openRuns.length > 0) {
    lines.push(
      `• you're part of an open coffee run in ${check.openRuns.map(channelLink).join(', ')} (you ordered in it or started it). ` +
        'Withdraw your order (or close or cancel the run you started).',
    );
  }
  if (check.carrying.length > 0) {
    lines.push(
      `• you're getting the coffee for the run in ${check.carrying.map(channelLink).join(', ')}. ` +
        "Press *Mark done* once it's delivered (or *I can't go*) in your DM with CoffeeBuddy.",
    );
  }
  lines.push('Then say `/coffee forget-me` again.');
  return lines.join('\n');
}

/**
 * `/coffee forget-me`'s answer before anything is deleted: what will go, what stays, what happens
 * to a cup on its way, and a button (5 minutes) to go ahead. Forgetting cannot be undone.
 */
export function forgetPrompt(check: ForgetCheck, now: Date): SlackMessage {
  if (check.kind === 'nothing_stored') return { text: 'CoffeeBuddy has nothing stored about you, so there is nothing to forget.' };
  if (check.kind === 'blocked') return { text: blockedText(check) };
  const lines = [
    ":warning: CoffeeBuddy will forget you everywhere: your saved orders, away settings, *I'll go* / *I can't go* records, run ratings, admin roles, name and time zone are deleted. " +
      `Your past orders and the runs you carried stay, as "${formerMember}". This can't be undone.`,
    ...check.undelivered.map((cup) =>
      cup.runnerSlackUserId
        ? `Not delivered yet: ${yourCup(cup)}. It will be withdrawn and ${mention(cup.runnerSlackUserId)} told not to buy it. If you still want it, say \`/coffee forget-me\` once it's delivered.`
        : `Not delivered yet: ${yourCup(cup)}. It will be withdrawn; no runner has it on their list yet.`,
    ),
    `The button works for ${confirmMinutes} minutes.`,
  ];
  const text = lines.join('\n');
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    {
      type: 'actions',
      elements: [
        expiringDangerButton({
          label: 'Forget me',
          actionId: forgetMeConfirmAction,
          minutes: confirmMinutes,
          now,
          confirm: {
            title: { type: 'plain_text', text: 'Forget you?' },
            text: { type: 'plain_text', text: 'CoffeeBuddy deletes what it knows about you. This cannot be undone.' },
            confirm: { type: 'plain_text', text: 'Forget me' },
            deny: { type: 'plain_text', text: 'Keep me' },
          },
        }),
      ],
    },
  ];
  return { text, blocks };
}

export const forgetButtonExpiredText = `This button has expired (it works for ${confirmMinutes} minutes). Nothing was deleted: say \`/coffee forget-me\` again.`;

/** What forgetting did, in the person's words. */
export function forgetReply(outcome: ForgetOutcome): string {
  if (outcome.kind !== 'forgotten') return forgetPrompt(outcome, new Date(0)).text;
  const deleted = [
    outcome.preferences > 0 ? `your saved last order (${count(outcome.preferences, 'channel', 'channels')})` : null,
    outcome.awayPeriods > 0 ? `your away settings (${count(outcome.awayPeriods, 'channel', 'channels')})` : null,
    outcome.volunteerAndDecline > 0 ? `${count(outcome.volunteerAndDecline, "*I'll go* / *I can't go* record", "*I'll go* / *I can't go* records")}` : null,
    outcome.ratings > 0 ? count(outcome.ratings, 'run rating', 'run ratings') : null,
    outcome.adminOf > 0 ? `your CoffeeBuddy admin role (${count(outcome.adminOf, 'channel', 'channels')})` : null,
    'your name and time zone',
  ].filter((part): part is string => part !== null);
  const kept = [
    outcome.pastOrders > 0
      ? `${count(outcome.pastOrders, 'past order', 'past orders')} of yours ${outcome.pastOrders === 1 ? 'shows' : 'show'} as "${formerMember}"`
      : null,
    outcome.runsCarried > 0
      ? `${count(outcome.runsCarried, 'run', 'runs')} you carried ${outcome.runsCarried === 1 ? 'counts' : 'count'} toward fairness, anonymously`
      : null,
  ].filter((part): part is string => part !== null);
  const withdrawn = outcome.withdrawn.map((cup) =>
    cup.runnerSlackUserId ? `${yourCup(cup)} (${mention(cup.runnerSlackUserId)} was told not to buy it)` : yourCup(cup),
  );
  return [
    `Done: CoffeeBuddy has forgotten you. Deleted: ${listed(deleted)}.`,
    withdrawn.length > 0 ? `Withdrawn: ${listed(withdrawn)}.` : null,
    kept.length > 0 ? `Kept, without your name: ${listed(kept)}.` : null,
    // The audit trail of channel settings is the channel's record, kept as it was written.
    outcome.adminActions > 0 ? "The channel settings changes you made stay in the channel's admin audit log." : null,
    'Messages already posted in Slack are not changed. If you use CoffeeBuddy again, it starts from scratch.',
  ]
    .filter((line): line is string => line !== null)
    .join('\n');
}

const cupSchema = z.object({
  orderId: z.uuid(),
  runId: z.uuid(),
  slackChannelId: z.string().min(1),
  runnerSlackUserId: z.string().min(1),
  order: orderSpec,
});

/**
 * The runner's DM when a cup on their list was withdrawn by someone leaving CoffeeBuddy: which cup
 * to skip. Posted once (`postOnce`), so a retry never sends it twice.
 */
export async function runCupWithdrawnNotice(payload: unknown, deps: EffectDeps): Promise<void> {
  const cup = cupSchema.parse(payload);
  const channel = await deps.slack.openDirectMessage(cup.runnerSlackUserId);
  const text = `One cup less for the coffee run in ${channelLink(cup.slackChannelId)}: skip the *${renderOrder(cup.order)}* on your list. Whoever ordered it has left CoffeeBuddy and withdrew it.`;
  await postOnce(deps.sql, deps.slack, { key: runPost(cup.runId, `cup_withdrawn:${cup.orderId}`), channel, message: { text }, now: deps.now() });
}
