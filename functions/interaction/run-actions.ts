import { runEvent } from '../../shared/events/cloud-event.ts';
import {
  canceledText,
  cancelPrompt,
  cancelRun,
  closeReplies,
  findControlledRun,
  findRunById,
  refuseControl,
  requestClose,
  type ControlledRun,
} from '../../shared/domain/run-control.ts';
import type { SlackMessage } from '../../shared/slack/port.ts';
import { mention } from '../../shared/slack/text.ts';
import { refusalFor, type InteractionDeps } from './orders.ts';
import { askToVolunteer, confirmVolunteer, withdrawVolunteer } from './volunteers.ts';
import type { BlockActionsPayload } from './schema.ts';
import { teamOf } from './schema.ts';
import { completeRun, recordDecline, takeRun } from './queries.ts';
import { upsertUser } from '../../shared/domain/user-channel-queries.ts';

type Reply = (text: string) => Promise<void>;

/** What a run-control button does once its run is found in the clicked channel. */
type RunControl = (
  run: ControlledRun,
  context: { user: string; who: { slackUserId: string; slackTeamId: string }; reply: Reply; answer: (message: SlackMessage) => Promise<void> },
  deps: InteractionDeps,
) => Promise<void>;

/**
 * A button on the run message (Close run, I'll go, Cancel run) or on the ephemeral confirmations
 * they lead to (Be next in line, Volunteer anyway, I can't go after all, Cancel the run): the run
 * named by its value, found in the clicked channel, then `act`.
 */
const runControl =
  (act: RunControl) =>
  async (payload: BlockActionsPayload, deps: InteractionDeps, reply: Reply): Promise<void> => {
    const action = payload.actions[0]!;
    const user = payload.user.id;
    const run = payload.channel && action.value ? await findControlledRun(deps.sql, action.value, payload.channel.id) : undefined;
    if (!run) return reply(refusalFor(undefined)!);
    const log = deps.log.child({ runId: run.id });
    log.info('button', { actionId: action.action_id, user });
    const who = { slackUserId: user, slackTeamId: teamOf(payload) };
    return act(run, { user, who, reply, answer: answerWithBlocks(payload, deps, reply) }, deps);
  };

/** Close run. */
export const handleCloseRun = runControl(async (run, { user, reply }, deps) => {
  if (run.status === 'closed') return reply(`This run is already closed${run.runnerSlackUserId ? `: ${mention(run.runnerSlackUserId)} is going` : ''}.`);
  if (run.status !== 'open') return reply(refusalFor(run)!);
  const refusal = await refuseControl(deps.slack, run, user, 'close');
  if (refusal) return reply(refusal);
  const result = await requestClose(deps.sql, deps.emit, run, user, deps.now());
  if (result === 'not_open') return reply(refusalFor({ status: 'closed' })!);
  return reply(result === 'requested' ? closeReplies.requested : closeReplies.alreadyRequested);
});

/** I'll go. */
export const handleVolunteer = runControl((run, { who, answer }, deps) => askToVolunteer(run, who, deps, answer));

/** Volunteer anyway, Be next in line: the confirmations of I'll go. */
export const handleConfirmVolunteer = runControl(async (run, { who, reply, answer }, deps) => {
  if (run.status !== 'open') return reply(refusalFor(run)!);
  return confirmVolunteer(run, who, deps, answer);
});

/** I can't go after all. */
export const handleWithdrawVolunteer = runControl((run, { who, answer }, deps) => withdrawVolunteer(run, who, deps, answer));

/**
 * Cancel run (`confirmed` false: a run with its runner already assigned is only canceled after a
 * confirmation naming them) and Cancel the run, that confirmation (`confirmed` true).
 */
const cancelButton = (confirmed: boolean) =>
  runControl(async (run, { user, reply, answer }, deps) => {
    const refusal = await refuseControl(deps.slack, run, user, 'cancel');
    if (refusal) return reply(refusal);
    if (!confirmed && run.status === 'closed') return answer(cancelPrompt(run));
    const result = await cancelRun(deps.sql, deps.emit, run, user, deps.now());
    if (result === 'canceled') deps.metrics.runsTotal.inc({ status: 'canceled' });
    if (result !== 'canceled') return reply(cannotCancel(run));
    const told =
      run.runnerSlackUserId && run.runnerSlackUserId !== user ? ` ${mention(run.runnerSlackUserId)} is told in a DM that there's no need to go.` : '';
    return reply(`${canceledText}${told}`);
  });
export const handleCancelRun = cancelButton(false);
export const handleConfirmCancel = cancelButton(true);

/** Ephemeral answers with buttons: in the clicked message's channel, else at its response_url. */
function answerWithBlocks(payload: BlockActionsPayload, deps: InteractionDeps, reply: Reply) {
  return async (message: SlackMessage): Promise<void> => {
    if (!message.blocks) return reply(message.text);
    try {
      if (payload.channel) await deps.slack.postEphemeral({ channel: payload.channel.id, user: payload.user.id, ...message });
      else if (payload.response_url) await deps.slack.respond(payload.response_url, message);
    } catch (error) {
      deps.log.warn('ephemeral answer not delivered', { error });
    }
  };
}

function cannotCancel(run: ControlledRun): string {
  if (run.status === 'completed') return 'This run is already done, so it can no longer be canceled.';
  return 'This run is already canceled.';
}

/**
 * Mark done (`done` true) and I can't go, from the runner's DM (so the run is found by id, and the
 * clicking user must be its runner).
 */
const runnerButton =
  (done: boolean) =>
  async (payload: BlockActionsPayload, deps: InteractionDeps, reply: Reply): Promise<void> => {
    const action = payload.actions[0]!;
    const user = payload.user.id;
    const run = action.value ? await findRunById(deps.sql, action.value) : undefined;
    if (!run) return reply(refusalFor(undefined)!);
    if (run.runnerSlackUserId !== user) {
      return reply(run.runnerSlackUserId ? `Only the runner, ${mention(run.runnerSlackUserId)}, can do that.` : 'This run has no runner.');
    }
    if (run.status !== 'closed') {
      return reply(run.status === 'completed' ? 'This run is already marked done. Thanks!' : 'This run was canceled, so there is nothing to do.');
    }
    const changed = await deps.sql.begin(async (tx) => {
      if (done) {
        const completedAt = await completeRun(tx, run.id, user, deps.now());
        if (completedAt)
          await deps.emit(
            tx,
            runEvent('com.coffeebuddy.run.completed', {
              runId: run.id,
              slackChannelId: run.slackChannelId,
              runnerSlackUserId: user,
              completedAt: completedAt.toISOString(),
            }),
          );
        return Boolean(completedAt);
      }
      const declined = await recordDecline(tx, run.id, user);
      if (declined) await deps.emit(tx, runEvent('com.coffeebuddy.runner.declined', { runId: run.id, slackChannelId: run.slackChannelId, slackUserId: user }));
      return declined;
    });
    deps.log.info(done ? 'run marked done' : 'runner declined', { runId: run.id, changed });
    if (done && changed) deps.metrics.runsTotal.inc({ status: 'completed' });
    if (!changed) return reply(done ? 'This run is already marked done. Thanks!' : "Got it, you already said you can't go.");
    return reply(
      done
        ? 'Marked done. Thanks for the coffee run! :coffee:'
        : "Got it, you're off this run. The next person who can go is picked; if nobody can, the channel is asked who can take it.",
    );
  };
export const handleMarkDone = runnerButton(true);
export const handleCannotGo = runnerButton(false);

/**
 * "I'll take it" on the summary of a closed run nobody could be picked for (everyone who ordered
 * said they can't go, or is away): whoever presses it first, anyone in the channel, is the runner.
 * The summary, run message and their DM follow through runner.assigned, as for a fair pick.
 */
export async function handleTakeRun(payload: BlockActionsPayload, deps: InteractionDeps, reply: Reply): Promise<void> {
  const action = payload.actions[0]!;
  const user = payload.user.id;
  const run = action.value ? await findRunById(deps.sql, action.value) : undefined;
  if (!run || run.slackChannelId !== payload.channel?.id) return reply(refusalFor(undefined)!);
  if (run.status !== 'closed') return reply(run.status === 'completed' ? 'This run is already done.' : 'This run was canceled, so nobody needs to go.');
  if (run.runnerSlackUserId) {
    return reply(
      run.runnerSlackUserId === user ? "You're already the runner: the order list is in your DM." : `${mention(run.runnerSlackUserId)} is already going.`,
    );
  }
  const reason = `${mention(user)} took the run when nobody else could go.`;
  const taken = await deps.sql.begin(async (tx) => {
    const userId = await upsertUser(tx, { slackUserId: user, slackTeamId: teamOf(payload) }, deps.now());
    if (!(await takeRun(tx, run.id, userId, reason, deps.now()))) return false;
    await deps.emit(
      tx,
      runEvent('com.coffeebuddy.runner.assigned', {
        runId: run.id,
        slackChannelId: run.slackChannelId,
        runnerSlackUserId: user,
        replacesSlackUserId: null,
        rule: 'took_it',
        explanation: reason,
      }),
    );
    return true;
  });
  deps.log.info('run taken', { runId: run.id, user, taken });
  if (!taken) {
    const now = await findRunById(deps.sql, run.id);
    return reply(
      now?.runnerSlackUserId ? `${mention(now.runnerSlackUserId)} is already going.` : 'This run is still picking its runner: try again in a moment.',
    );
  }
  return reply("Thanks! You're the runner: the order list is on its way to your DM.");
}
