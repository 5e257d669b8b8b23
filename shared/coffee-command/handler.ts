import { runEvent } from '../events/cloud-event.ts';
import { randomUUID } from 'node:crypto';
import { isTimeZone } from '../config.ts';
import { isUniqueViolation } from '../db/client.ts';
import {
  alreadyOpenReply,
  directMessageReply,
  disabledReply,
  helpReply,
  messageDelayedReply,
  postFailedReply,
  unknownCommandReply,
  usageReply,
  type EphemeralReply,
} from './messages.ts';
import { checkFirstWord, otherDayReply, suggestionReply } from './suggest.ts';
import { parseRunText } from '../domain/pickup-time.ts';
import {
  canceledText,
  cancelRun,
  closeReplies,
  findCurrentRun,
  noOpenRunToCancel,
  openRunRefusal,
  refuseControl,
  requestClose,
} from '../domain/run-control.ts';
import { postNewRunMessage, syncRunMessage } from '../domain/run-message-effect.ts';
import { handleAdminCommand } from './admin.ts';
import { historyReply, myHistoryReply, statsReply } from './reports.ts';
import { typedText } from '../slack/text.ts';
import { awayCommand, backCommand, forgetMeCommand } from './people.ts';
import { channelDisabled, failOpenRun, findChannel, findOpenRun, findStarter, refreshUserProfile, startRunStatement, type StarterRow } from './queries.ts';
import { isDirectMessage, type RunStartDeps, type SlashCommand, type SlashCommandDeps } from './schema.ts';

/** The slash commands the app declares (scripts/manifests/slack-app.ts). */
export const coffeeCommand = '/coffee';
/** Your last runs, in any channel: the same as `/coffee history me`. */
export const historyCommand = '/coffee-history';
/** The same as `/coffee cancel`. */
export const cancelCommand = '/coffee-cancel';
/** How long `/coffee` waits for the run message before answering; Slack gives 3 s in all. */
const runMessageBudgetMs = 1_500;

/** How a command reached {@link handleSlashCommand}. */
export interface SlashCommandOptions {
  /** The text is a run's note as typed ("Start a run with note …" was clicked): no first-word check. */
  asTypedRun?: boolean;
}

/**
 * `/coffee …`: help, a subcommand, or start a run. Returns the ephemeral reply for the user, or
 * null when the posted run message is the answer.
 */
export async function handleSlashCommand(command: SlashCommand, deps: RunStartDeps, options: SlashCommandOptions = {}): Promise<EphemeralReply | null> {
  // The app's manifest declares /coffee, /coffee-history and /coffee-cancel; another command routed here is never a run.
  if (command.command === historyCommand) return myHistoryReply(deps.sql, command.user_id);
  if (command.command === cancelCommand) {
    if (await channelDisabled(deps.sql, command)) return disabledReply;
    return controlRun(command, 'cancel', deps);
  }
  if (command.command !== coffeeCommand) return unknownCommandReply(command.command);
  const text = command.text.trim();
  if (options.asTypedRun) return startRun(command, text, deps);
  const subcommand = text.split(/\s+/)[0]?.toLowerCase() ?? '';
  if (subcommand === 'help') {
    const channel = await findChannel(deps.sql, command.channel_id);
    return helpReply(channel?.fairnessWindowRuns ?? deps.config.FAIRNESS_WINDOW_RUNS);
  }
  if (subcommand === 'admin')
    return handleAdminCommand(
      command,
      text
        .split(/\s+/)
        .slice(1)
        .map((word, i) => (i === 2 ? word : word.toLowerCase())),
      deps,
    );
  // Deleting what CoffeeBuddy keeps about you is yours, whatever a channel's switch says.
  if (subcommand === 'forget-me' || /^forget\s+me$/i.test(text)) return forgetMeCommand(command, deps);
  // A disabled channel answers only help, admin and forget-me. Answers from the text alone (a
  // typo's "Did you mean", another day, a bad page) change nothing, so they need no lookup; their
  // buttons are checked when clicked, and starting a run checks in its own statement.
  const unlessDisabled = async (answer: () => Promise<EphemeralReply>) => ((await channelDisabled(deps.sql, command)) ? disabledReply : answer());
  if (subcommand === 'away') return unlessDisabled(() => awayCommand(command, deps));
  // Only a bare `back`: `/coffee back door` stays a run with a note, as before.
  if (text.toLowerCase() === 'back') return unlessDisabled(() => backCommand(command, deps));
  if (subcommand === 'close' || subcommand === 'cancel') return unlessDisabled(() => controlRun(command, subcommand, deps));
  if (subcommand === 'history') {
    const page = text.split(/\s+/)[1] ?? '1';
    if (page.toLowerCase() === 'me') return unlessDisabled(() => myHistoryReply(deps.sql, command.user_id));
    if (!/^[1-9]\d{0,3}$/.test(page))
      return { text: `\`${typedText(page)}\` is not a page number. Try \`/coffee history\`, \`/coffee history 2\` or \`/coffee history me\`.` };
    return unlessDisabled(() => historyReply(deps.sql, command.channel_id, Number(page)));
  }
  if (subcommand === 'stats') {
    return unlessDisabled(async () => {
      const channel = await findChannel(deps.sql, command.channel_id);
      return statsReply(deps.sql, command.channel_id, channel?.fairnessWindowRuns ?? deps.config.FAIRNESS_WINDOW_RUNS);
    });
  }
  // Only the first word, before any pickup time: `/coffee 10:30 reset the machine` is a run.
  const check = checkFirstWord(text);
  if (check?.kind === 'day') return otherDayReply(check);
  if (check) return suggestionReply(check, text);
  return startRun(command, text, deps);
}

/** `/coffee close` and `/coffee cancel`: the channel's current run, if this user may. */
async function controlRun(command: SlashCommand, action: 'close' | 'cancel', deps: SlashCommandDeps): Promise<EphemeralReply> {
  const run = await findCurrentRun(deps.sql, command.channel_id, deps.now());
  if (action === 'cancel' && run?.status !== 'open') return noOpenRunToCancel(deps.slack, run, command.user_id);
  if (run?.status !== 'open') return { text: "There's no open coffee run here to close. Start one with `/coffee`." };
  const refusal = await refuseControl(deps.slack, run, command.user_id, action);
  if (refusal) return { text: openRunRefusal(run, refusal) };
  if (action === 'close') {
    const result = await requestClose(deps.sql, deps.emit, run, command.user_id, deps.now());
    if (result === 'requested') return { text: closeReplies.requested };
    return { text: result === 'already_requested' ? closeReplies.alreadyRequested : 'This run is no longer open.' };
  }
  const result = await cancelRun(deps.sql, deps.emit, run, command.user_id, deps.now());
  if (result === 'canceled') deps.metrics.runsTotal.inc({ status: 'canceled' });
  return { text: result === 'canceled' ? canceledText : 'This run can no longer be canceled.' };
}

/**
 * How long a stored Slack time zone is trusted before `/coffee` refreshes it (in the background,
 * never delaying the answer): people rarely change zones, and a day-old zone is at worst one
 * command late after a trip.
 */
const timeZoneFreshMs = 24 * 60 * 60 * 1000;

/** Users whose profile refresh is in flight here, so a burst of commands asks Slack once. */
const refreshing = new Set<string>();

/**
 * The initiator's time zone for reading the pickup time. A zone stored within a day is used as it
 * is; an older one too, while users.info refreshes it in the background. A user never read from
 * Slack waits for users.info, as every command did before the cache: reading "10:30" in
 * DEFAULT_TIME_ZONE for someone in another zone would start the run at the wrong time, which
 * no later refresh can undo. `profile` is what users.info said now, to store with the run, and
 * `displayName` the name to store (null: keep the stored one).
 */
async function initiatorZone(command: SlashCommand, stored: StarterRow['user'], deps: SlashCommandDeps) {
  const now = deps.now();
  if (stored?.timeZoneCheckedAt) {
    if (now.getTime() - stored.timeZoneCheckedAt.getTime() > timeZoneFreshMs) refreshProfile(command.user_id, deps);
    // The stored name came from users.info too: the command's handle must not replace it.
    return { timeZone: stored.timeZone, profile: null, displayName: null };
  }
  try {
    const user = await deps.slack.getUser(command.user_id);
    const displayName = user?.name ?? command.user_name ?? null;
    return { timeZone: user?.timeZone ?? null, profile: { timeZone: user?.timeZone ?? null, checkedAt: now }, displayName };
  } catch (error) {
    deps.log.warn('users.info failed; using the default time zone', { error });
    return { timeZone: null, profile: null, displayName: command.user_name ?? null };
  }
}

function refreshProfile(slackUserId: string, deps: SlashCommandDeps): void {
  if (refreshing.has(slackUserId)) return;
  refreshing.add(slackUserId);
  void (async () => {
    const user = await deps.slack.getUser(slackUserId);
    await refreshUserProfile(deps.sql, { slackUserId, displayName: user?.name ?? null, timeZone: user?.timeZone ?? null, checkedAt: deps.now() });
  })()
    .catch((error: unknown) => deps.log.warn('time zone refresh failed; the next command tries again', { error }))
    .finally(() => refreshing.delete(slackUserId));
}

async function startRun(command: SlashCommand, text: string, deps: RunStartDeps): Promise<EphemeralReply | null> {
  if (isDirectMessage(command)) return directMessageReply;
  const known = await findStarter(deps.sql, command.channel_id, command.user_id);
  if (known.channel && !known.channel.enabled) return disabledReply;

  const zone = await initiatorZone(command, known.user, deps);
  const timeZone = zone.timeZone && isTimeZone(zone.timeZone) ? zone.timeZone : deps.config.DEFAULT_TIME_ZONE;
  const now = deps.now();
  const parsed = parseRunText(text, now, timeZone);
  if (!parsed.ok) return parsed.reason === 'syntax' ? usageReply(parsed.message) : { text: parsed.message };

  const runId = randomUUID();
  const created = await startRunStatement(deps.sql, {
    runId,
    channel: { slackChannelId: command.channel_id, slackTeamId: command.team_id, name: command.channel_name ?? null },
    user: {
      slackUserId: command.user_id,
      slackTeamId: command.team_id,
      displayName: zone.displayName,
      timeZone: zone.profile?.timeZone ?? null,
      checkedAt: zone.profile?.checkedAt ?? null,
    },
    run: { pickupAt: parsed.pickupAt, closesAt: parsed.closesAt, note: parsed.note, timeZone, startedAt: now },
    event: deps.emit.prepare(
      runEvent('com.coffeebuddy.run.created', {
        runId,
        slackTeamId: command.team_id,
        slackChannelId: command.channel_id,
        initiatorSlackUserId: command.user_id,
        pickupAt: parsed.pickupAt?.toISOString() ?? null,
        closesAt: parsed.closesAt?.toISOString() ?? null,
        note: parsed.note,
        timeZone,
        startedAt: now.toISOString(),
      }),
    ),
    effect: syncRunMessage(runId),
    leaseUntil: deps.leasedEffects.leaseUntil(now),
  }).catch(async (error: unknown) => {
    // Two `/coffee` at the same instant: the unique index lets one win; the other is told.
    if (!isUniqueViolation(error, 'runs_one_open_per_channel')) throw error;
    const channel = await findChannel(deps.sql, command.channel_id);
    const open = channel && (await findOpenRun(deps.sql, channel.id));
    if (!open) throw error;
    return { kind: 'already_open' as const, open };
  });

  if (created.kind === 'disabled') return disabledReply;
  if (created.kind === 'already_open') {
    return alreadyOpenReply(created.open.initiatorSlackUserId, created.open.pickupAt, timeZone);
  }

  const log = deps.log.child({ runId: created.runId });
  // The run message is a durable effect written with the run: its first attempt is made now,
  // within the ack budget, from what this command just wrote; retried after if Slack is slow or
  // down, and never posted twice.
  const request = syncRunMessage(created.runId);
  const state = await deps.leasedEffects.runLeased(
    { id: created.effect.id, generation: created.effect.generation, kind: request.kind, payload: request.payload, createdAt: now },
    () =>
      postNewRunMessage({ sql: deps.sql, slack: deps.slack, now: deps.now() }, created.effect, {
        runId: created.runId,
        slackChannelId: command.channel_id,
        initiatorSlackUserId: command.user_id,
        pickupAt: parsed.pickupAt,
        closesAt: parsed.closesAt,
        timeZone,
        note: parsed.note,
        fairnessWindowRuns: created.fairnessWindowRuns ?? deps.config.FAIRNESS_WINDOW_RUNS,
        orders: [],
        volunteerSlackUserIds: [],
      }),
    runMessageBudgetMs,
  );
  if (state === 'parked') {
    // Slack refused it for good (not in the channel, archived…): the run cannot work here.
    const reason = (await deps.leasedEffects.status(created.effect.id)).lastError ?? 'run message could not be posted';
    log.warn('run message refused by Slack; run marked failed', { reason });
    await markFailed(created.runId, command.channel_id, reason, deps);
    return postFailedReply(reason);
  }
  deps.metrics.runsTotal.inc({ status: 'open' });
  log.info('run started', { channel: command.channel_id, hasPickup: parsed.pickupAt !== null, messagePosted: state === 'done' });
  return state === 'done' ? null : messageDelayedReply;
}

async function markFailed(runId: string, slackChannelId: string, reason: string, deps: SlashCommandDeps): Promise<void> {
  await deps.sql.begin(async (tx) => {
    if (!(await failOpenRun(tx, runId, reason, deps.now()))) return;
    await deps.emit(tx, runEvent('com.coffeebuddy.run.failed', { runId, slackChannelId, reason }));
  });
  deps.metrics.runsTotal.inc({ status: 'failed' });
}
