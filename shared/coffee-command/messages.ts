import { disabledText } from '../domain/channel-admin.ts';
import { fairnessRule, pickupText } from '../domain/run-message.ts';
import { mention } from '../slack/text.ts';
import type { SlackMessage } from '../slack/port.ts';

/** An answer shown only to the user who typed the command. */
export type EphemeralReply = SlackMessage;

/** `/coffee help`. */
export function helpReply(windowRuns: number): EphemeralReply {
  return {
    text: [
      '*CoffeeBuddy* runs the office coffee run.',
      '• `/coffee [pickup time] [note]` starts a run here, e.g. `/coffee 10:30 Lobby cafe` or `/coffee in 15m`.',
      '   Times: `10:30`, `10.30`, `2pm`, `noon`, `in 15m`, `1h30m` (`now` or `asap`: in 10 minutes), read in your Slack time zone.',
      '   End with `closes 10:15` or `closes in 10m` to close ordering by itself (with a last call a few minutes before).',
      '• The runner gets a reminder DM a few minutes before pickup.',
      '• On the run message: *Place order* (a drink, size and customizations, or type your order), *Use my last order* (one click),',
      "   *Withdraw my order*, *I'll go* (volunteer, with or without an order), *Close run* and *Cancel run*. Ordering again edits your order.",
      "• If nobody who ordered can go, the summary asks the channel: anyone can press *I'll take it*.",
      "• `/coffee close`: close the open run (whoever started it, or a channel admin). The runner gets a DM with *Mark done* and *I can't go*.",
      "• `/coffee cancel` (or `/coffee-cancel`): cancel the open run, or today's run on its way (whoever started it, its runner, or a channel admin); not after it is done.",
      '• `/coffee history [page | me]`: past runs here (*Details* shows who started, closed, was picked for, marked done or canceled each); `me` (or `/coffee-history`): your last 10 runs in any channel.',
      '• `/coffee stats`: who ran how often, cups carried and received.',
      "• `/coffee away [for 2w | until friday]`: sit out this channel's runs (you still order, you're not picked); `/coffee back` ends it. `/coffee forget-me` deletes what CoffeeBuddy keeps about you.",
      '• `/coffee admin`: channel settings (admins only); `/coffee admin show` for everyone. In a disabled channel only `help`, `admin` and `forget-me` answer.',
      '• `/coffee help` shows this.',
      '• Runs are for today: `/coffee tomorrow 9am` or `/coffee friday` is refused (start it on the day, or use `in 2h`).',
      '   A first word that looks like a command (`/coffee histroy`, `/coffee config`) gets a *Did you mean…?* instead of a run; its buttons run the command or start the run anyway. After a pickup time any words are the note: `/coffee 10:30 reset the machine`.',
      `*How the runner is chosen:* ${fairnessRule(windowRuns)}`,
    ].join('\n'),
  };
}

/** Every form of `/coffee`, one line: the usage hint's second half. */
export const commandForms =
  '`/coffee [pickup time] [note] [closes <time>]`, `/coffee close`, `/coffee cancel`, `/coffee history [page | me]`, `/coffee stats`, ' +
  '`/coffee away [for 2w | until friday]`, `/coffee back`, `/coffee forget-me`, `/coffee admin [show]`, `/coffee help`';

/** Bad syntax: say what was wrong and how to write it. */
export function usageReply(problem: string): EphemeralReply {
  return { text: `${problem}\nUsage: \`/coffee [pickup time] [note]\`, e.g. \`/coffee 10:30 Lobby\`. All forms: ${commandForms}. See \`/coffee help\`.` };
}

/** A slash command the app does not declare reached it (a manifest or Kong route that points here). */
export function unknownCommandReply(command: string): EphemeralReply {
  const shown = command.replace(/`/g, "'").slice(0, 60);
  return { text: `This app handles /coffee, /coffee-history and /coffee-cancel; \`${shown}\` isn't one of its commands, so nothing was done.` };
}

/** `/coffee` starting a run in a DM with the bot, where nobody else could order. */
export const directMessageReply: EphemeralReply = {
  text: 'Coffee runs happen in a channel, so everyone there can order. Start a coffee run in a channel: invite @CoffeeBuddy there (`/invite @CoffeeBuddy`) and type `/coffee …`, e.g. `/coffee 10:30 Lobby`.',
};

/** Every `/coffee` form but help, admin and forget-me in a channel where CoffeeBuddy is off. */
export const disabledReply: EphemeralReply = { text: disabledText };

/** A second run while one is open. */
export function alreadyOpenReply(initiatorSlackUserId: string, pickupAt: Date | null, timeZone: string): EphemeralReply {
  const when = pickupAt ? `, pickup ${pickupText(pickupAt, timeZone)}` : '';
  return {
    text: `There's already an open coffee run here (started by ${mention(initiatorSlackUserId)}${when}). Order from its message, or close it before starting a new one.`,
  };
}

/** The run message could not be posted. */
export function postFailedReply(slackError: string): EphemeralReply {
  if (/not_in_channel|channel_not_found|is_archived/.test(slackError)) {
    return { text: "I can't post in this channel. Invite me with `/invite @CoffeeBuddy`, then try `/coffee` again." };
  }
  return { text: "Slack didn't accept the run message just now, so no run was started. Please try again in a moment." };
}

/** The run is started but Slack has not taken its message yet; it is being retried. */
export const messageDelayedReply: EphemeralReply = {
  text: 'Your coffee run is started. Slack is slow to show its message right now; it will appear here shortly.',
};

/** The database refused or timed out: nothing was done. */
export const databaseUnavailableReply: EphemeralReply = {
  text: "CoffeeBuddy can't reach its database right now, so nothing was done. Please try again in a minute.",
};

/** The database hangs at the ack deadline: the command may still go through later. */
export const databaseSlowReply: EphemeralReply = {
  text: "CoffeeBuddy's database isn't answering right now. Please try again in a minute; if this command still goes through, I'll tell you here.",
};

/** The text after `/coffee` has characters Postgres cannot store (NUL, a broken surrogate pair). */
export const unstorableTextReply: EphemeralReply = {
  text: "That text has characters I can't store (invisible control characters or broken emoji), so nothing was done. Please retype it and try again.",
};

/** The text after `/coffee` is longer than anything it can mean. */
export function textTooLongReply(length: number, max: number): EphemeralReply {
  return usageReply(`That's too long for \`/coffee\` (${length} characters; the most it takes is ${max}), so nothing was done.`);
}

export const genericFailureReply: EphemeralReply = {
  text: 'Something went wrong on our side and no run was started. Please try again in a moment.',
};
