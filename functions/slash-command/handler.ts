import { isTimeZone } from '../../shared/config.ts';
import { isUniqueViolation } from '../../shared/db/client.ts';
import type { FunctionDeps } from '../../shared/function.ts';
import {
  alreadyOpenReply,
  disabledReply,
  helpReply,
  messageDelayedReply,
  postFailedReply,
  unknownCommandReply,
  usageReply,
} from './messages.ts';
import { checkFirstWord, otherDayReply, suggestionReply } from './suggest.ts';
import { parseRunText } from '../../shared/domain/pickup-time.ts';
import { cancelPrompt, cancelRun, findCurrentRun, refuseControl, requestClose } from '../../shared/domain/run-control.ts';
import { syncRunMessage } from '../../shared/domain/run-message-effect.ts';
import { handleAdminCommand } from './admin.ts';
import { historyReply, statsReply } from './reports.ts';
import { awayCommand, backCommand, forgetMeCommand, lookUpUser } from './people.ts';
import { failOpenRun, findChannel, findOpenRun, insertRun, upsertChannel, upsertUser } from './queries.ts';
import type { EphemeralReply, SlashCommand, SlashCommandConfig } from './schema.ts';

export type SlashCommandDeps = FunctionDeps<SlashCommandConfig>;

const defaultWindowRuns = 5;
/** The one slash command the app declares (scripts/manifests/slack-app.ts). */
export const coffeeCommand = '/coffee';
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
export async function handleSlashCommand(command: SlashCommand, deps: SlashCommandDeps, options: SlashCommandOptions = {}): Promise<EphemeralReply | null> {
  // The app's manifest declares only /coffee; another command routed here is never a run.
  if (command.command !== coffeeCommand) return unknownCommandReply(command.command);
  const text = command.text.trim();
  if (options.asTypedRun) return startRun(command, text, deps);
  const subcommand = text.split(/\s+/)[0]?.toLowerCase() ?? '';
  if (subcommand === 'away') return awayCommand(command, deps);
  // Only a bare `back`: `/coffee back door` stays a run with a note, as before.
  if (text.toLowerCase() === 'back') return backCommand(command, deps);
  if (subcommand === 'forget-me' || /^forget\s+me$/i.test(text)) return forgetMeCommand(command, deps);
  if (subcommand === 'help') {
    const channel = await findChannel(deps.sql, command.channel_id);
    return helpReply(channel?.fairnessWindowRuns ?? defaultWindowRuns);
  }
  if (subcommand === 'admin') return handleAdminCommand(command, text.split(/\s+/).slice(1).map((word, i) => (i === 2 ? word : word.toLowerCase())), deps);
  if (subcommand === 'close' || subcommand === 'cancel') return controlRun(command, subcommand, deps);
  if (subcommand === 'history') {
    const page = text.split(/\s+/)[1] ?? '1';
    if (!/^[1-9]\d{0,3}$/.test(page)) return { text: `\`${page}\` is not a page number. Try \`/coffee history\` or \`/coffee history 2\`.` };
    return historyReply(deps.sql, command.channel_id, Number(page));
  }
  if (subcommand === 'stats') {
    const channel = await findChannel(deps.sql, command.channel_id);
    return statsReply(deps.sql, command.channel_id, channel?.fairnessWindowRuns ?? defaultWindowRuns);
  }
  // Only the first word, before any pickup time: `/coffee 10:30 reset the machine` is a run.
  const check = checkFirstWord(text);
  if (check?.kind === 'day') return otherDayReply(check);
  if (check) return suggestionReply(check, text);
  return startRun(command, text, deps);
}

/** `/coffee close` and `/coffee cancel`: the channel's current run, if this user may. */
async function controlRun(command: SlashCommand, action: 'close' | 'cancel', deps: SlashCommandDeps): Promise<EphemeralReply> {
  const run = await findCurrentRun(deps.sql, command.channel_id);
  if (!run || (action === 'close' && run.status !== 'open')) {
    return { text: `There's no open coffee run here to ${action}. Start one with \`/coffee\`.` };
  }
  const refusal = await refuseControl(deps.slack, run, command.user_id, action);
  if (refusal) return { text: refusal };
  if (action === 'close') {
    const result = await requestClose(deps.sql, deps.emit, run, command.user_id);
    if (result === 'requested') return { text: 'Closing the run: the runner will be announced here in a moment.' };
    return { text: result === 'already_requested' ? 'This run is already closing.' : 'This run is no longer open.' };
  }
  // Only a closed run (its runner assigned) is left: say which one, and cancel only on the button.
  if (run.status !== 'open') return cancelPrompt(run, { noOpenRun: true });
  const result = await cancelRun(deps.sql, deps.emit, run, command.user_id);
  if (result === 'canceled') deps.metrics.runsTotal.inc({ status: 'canceled' });
  return { text: result === 'canceled' ? 'The run is canceled; everyone who ordered is told in its thread.' : 'This run can no longer be canceled.' };
}

async function startRun(command: SlashCommand, text: string, deps: SlashCommandDeps): Promise<EphemeralReply | null> {
  const known = await findChannel(deps.sql, command.channel_id);
  if (known && !known.enabled) return disabledReply;

  const user = await lookUpUser(command.user_id, deps);
  const timeZone = user?.timeZone && isTimeZone(user.timeZone) ? user.timeZone : deps.config.DEFAULT_TIME_ZONE;
  const now = deps.now();
  const parsed = parseRunText(text, now, timeZone);
  if (!parsed.ok) return parsed.reason === 'syntax' ? usageReply(parsed.message) : { text: parsed.message };

  const created = await deps.sql.begin(async (tx) => {
    const channel = await upsertChannel(tx, {
      slackChannelId: command.channel_id,
      slackTeamId: command.team_id,
      name: command.channel_name ?? null,
    });
    if (!channel.enabled) return { kind: 'disabled' as const };
    const initiatorId = await upsertUser(tx, {
      slackUserId: command.user_id,
      slackTeamId: command.team_id,
      displayName: user?.name ?? command.user_name ?? null,
      timeZone: user?.timeZone ?? null,
    });
    const open = await findOpenRun(tx, channel.id);
    if (open) return { kind: 'already_open' as const, open };
    const runId = await insertRun(tx, {
      channelId: channel.id,
      initiatorId,
      pickupAt: parsed.pickupAt,
      closesAt: parsed.closesAt,
      note: parsed.note,
      timeZone,
      startedAt: now,
    });
    await deps.emit(tx, {
      type: 'com.coffeebuddy.run.created',
      subject: runId,
      partitionKey: command.channel_id,
      correlationId: runId,
      data: {
        runId,
        slackTeamId: command.team_id,
        slackChannelId: command.channel_id,
        initiatorSlackUserId: command.user_id,
        pickupAt: parsed.pickupAt?.toISOString() ?? null,
        closesAt: parsed.closesAt?.toISOString() ?? null,
        note: parsed.note,
        timeZone,
        startedAt: now.toISOString(),
      },
    });
    const effectId = await deps.effects.enqueue(tx, syncRunMessage(runId));
    return { kind: 'created' as const, runId, effectId };
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
  // The run message is a durable effect written with the run: tried now within the ack budget,
  // retried after if Slack is slow or down, and never posted twice.
  await deps.effects.runSoon([created.effectId], runMessageBudgetMs);
  const effect = await deps.effects.status(created.effectId);
  if (effect.state === 'parked') {
    // Slack refused it for good (not in the channel, archived…): the run cannot work here.
    const reason = effect.lastError ?? 'run message could not be posted';
    log.warn('run message refused by Slack; run marked failed', { reason });
    await markFailed(created.runId, command.channel_id, reason, deps);
    return postFailedReply(reason);
  }
  deps.metrics.runsTotal.inc({ status: 'open' });
  log.info('run started', { channel: command.channel_id, hasPickup: parsed.pickupAt !== null, messagePosted: effect.state === 'done' });
  return effect.state === 'done' ? null : messageDelayedReply;
}

async function markFailed(runId: string, slackChannelId: string, reason: string, deps: SlashCommandDeps): Promise<void> {
  await deps.sql.begin(async (tx) => {
    if (!(await failOpenRun(tx, runId, reason))) return;
    await deps.emit(tx, {
      type: 'com.coffeebuddy.run.failed',
      subject: runId,
      partitionKey: slackChannelId,
      correlationId: runId,
      data: { runId, slackChannelId, reason },
    });
  });
  deps.metrics.runsTotal.inc({ status: 'failed' });
}
