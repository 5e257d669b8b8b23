import { isTimeZone } from '../config.ts';
import { checkForget } from '../domain/forget-me-queries.ts';
import { upsertChannel, upsertUser } from '../domain/user-channel-queries.ts';
import { forgetPrompt } from '../domain/forget-me.ts';
import { zonedWallTimeToUtc } from '../domain/pickup-time.ts';
import { slackTimeAfter } from '../slack/text.ts';
import { parseAway, type LocalDay } from './away-text.ts';
import { endAway, setAway } from './people-queries.ts';
import { isDirectMessage, type SlashCommand, type SlashCommandDeps } from './schema.ts';
import type { EphemeralReply } from './messages.ts';

// `/coffee away`, `/coffee back` and `/coffee forget-me`: what a person says about themselves.

const channelLink = (slackChannelId: string) => `<#${slackChannelId}>`;

/** Slack date tokens for an instant a few days out: "Friday at 14:00", "Dec 24, 2026 at 00:00". */
const dayAndTime = '{date_short_pretty} at {time}';

/**
 * `/coffee away [for <duration> | until <day>]`: not picked as this channel's runner until then (or
 * until `/coffee back`), while still ordering as usual. Per channel: people take part in several
 * channels' runs and may step out of one only. Days are read in the user's Slack time zone.
 */
export async function awayCommand(command: SlashCommand, deps: SlashCommandDeps): Promise<EphemeralReply> {
  if (isDirectMessage(command)) {
    return { text: 'Away works per channel: say `/coffee away` in the channel whose coffee runs you want to sit out.' };
  }
  const user = await lookUpUser(command.user_id, deps);
  const timeZone = user?.timeZone && isTimeZone(user.timeZone) ? user.timeZone : deps.config.DEFAULT_TIME_ZONE;
  const now = deps.now();
  const parsed = parseAway(command.text.trim().replace(/^\S+/, ''), now, timeZone);
  if (!parsed.ok) return { text: parsed.message };
  await deps.sql.begin(async (tx) => {
    const channel = await upsertChannel(tx, { slackChannelId: command.channel_id, slackTeamId: command.team_id, name: command.channel_name ?? null }, now);
    const userId = await upsertUser(
      tx,
      {
        slackUserId: command.user_id,
        slackTeamId: command.team_id,
        displayName: user?.name ?? command.user_name ?? null,
        timeZone: user?.timeZone ?? null,
      },
      now,
    );
    await setAway(tx, { userId, channelId: channel.id, until: parsed.until, at: now });
  });
  deps.log.info('away set', { channel: command.channel_id, openEnded: parsed.until === null });
  return awayReply(command.channel_id, parsed.until, 'lastDay' in parsed ? parsed.lastDay : undefined, timeZone);
}

/** `/coffee back`: can be picked as this channel's runner again, from now. */
export async function backCommand(command: SlashCommand, deps: SlashCommandDeps): Promise<EphemeralReply> {
  if (isDirectMessage(command)) return { text: 'Away works per channel: say `/coffee back` in the channel whose coffee runs you sat out.' };
  const here = channelLink(command.channel_id);
  const { wasAway, endedAt } = await endAway(deps.sql, { slackUserId: command.user_id, slackChannelId: command.channel_id, at: deps.now() });
  if (wasAway) return { text: `Welcome back! You can be picked as the coffee runner in ${here} again.` };
  const ended = endedAt
    ? ` (your away time ${slackTimeAfter('ended', endedAt, `${endedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`, dayAndTime)})`
    : '';
  return { text: `You weren't away from coffee runs in ${here}${ended}, so you can already be picked as runner here.` };
}

/**
 * `/coffee forget-me`: says what forgetting would delete, keep and withdraw (a cup on its way), with
 * a button to go ahead (the interaction function forgets them); or why it must wait (a run that
 * needs them by name until it is over).
 */
export async function forgetMeCommand(command: SlashCommand, deps: SlashCommandDeps): Promise<EphemeralReply> {
  const check = await checkForget(deps.sql, command.user_id, false);
  deps.log.info('forget-me asked', { outcome: check.kind });
  return forgetPrompt(check, deps.now());
}

/** `Thu, 24 Dec 2026, 00:00 (Europe/Berlin)`: the fallback where Slack cannot render a date token. */
function fallback(at: Date, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
  return `${text} (${timeZone})`;
}

function awayReply(slackChannelId: string, until: Date | null, lastDay: LocalDay | undefined, timeZone: string): EphemeralReply {
  const here = channelLink(slackChannelId);
  const still = "You can still order; *I'll go* still makes you the runner.";
  if (until === null) {
    return { text: `You're away from coffee runs in ${here} until you say \`/coffee back\`: you won't be picked as runner. ${still}` };
  }
  const untilWhen = slackTimeAfter('until', until, fallback(until, timeZone), dayAndTime);
  if (lastDay) {
    // The last day away, shown as a date: its noon where the user is, which Slack shows in their zone.
    const day = zonedWallTimeToUtc({ ...lastDay, hour: 12, minute: 0 }, timeZone);
    const through = slackTimeAfter(
      'through',
      day,
      `${lastDay.year}-${String(lastDay.month).padStart(2, '0')}-${String(lastDay.day).padStart(2, '0')}`,
      '{date_long_pretty}',
    );
    return {
      text: `You're away from coffee runs in ${here} ${through}: you won't be picked as runner ${untilWhen}. ${still} \`/coffee back\` ends it sooner.`,
    };
  }
  return {
    text: `You're away from coffee runs in ${here} ${untilWhen}: you won't be picked as runner before then. ${still} \`/coffee back\` ends it sooner.`,
  };
}

/** The user's Slack profile (for their time zone); a Slack outage falls back to the default zone. */
export async function lookUpUser(slackUserId: string, deps: SlashCommandDeps) {
  try {
    return await deps.slack.getUser(slackUserId);
  } catch (error) {
    deps.log.warn('users.info failed; using the default time zone', { error });
    return null;
  }
}
