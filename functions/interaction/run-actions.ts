import type { Sql } from '../../shared/db/client.ts';
import { cancelRun, findControlledRun, refuseControl, requestClose, type ControlledRun } from '../../shared/domain/run-control.ts';
import { runActions } from '../../shared/domain/run-message.ts';
import { refusalFor, type InteractionDeps } from './orders.ts';
import { ensureUser } from './queries.ts';
import type { BlockActionsPayload } from './schema.ts';
import { isRunId } from '../../shared/domain/run-queries.ts';

type Reply = (text: string) => Promise<void>;

/** Close run, I'll go and Cancel run on the run message. */
export async function handleRunControl(payload: BlockActionsPayload, deps: InteractionDeps, reply: Reply): Promise<void> {
  const action = payload.actions[0]!;
  const user = payload.user.id;
  const run = payload.channel && action.value ? await findControlledRun(deps.sql, action.value, payload.channel.id) : undefined;
  if (!run) return reply(refusalFor(undefined)!);
  const log = deps.log.child({ runId: run.id });
  log.info('button', { actionId: action.action_id, user });
  if (action.action_id === runActions.closeRun) {
    if (run.status !== 'open') return reply(refusalFor(run)!);
    const refusal = await refuseControl(deps.slack, run, user, 'close');
    if (refusal) return reply(refusal);
    const result = await requestClose(deps.sql, deps.emit, run, user);
    if (result === 'not_open') return reply(refusalFor({ status: 'closed' })!);
    return reply(result === 'requested' ? 'Closing the run: the runner will be announced here in a moment.' : 'This run is already closing.');
  }
  if (action.action_id === runActions.volunteer) {
    if (run.status !== 'open') return reply(refusalFor(run)!);
    await volunteer(deps.sql, run, payload);
    return reply("Thanks! You're going when the run closes (as long as you have an order in).");
  }
  const refusal = await refuseControl(deps.slack, run, user, 'cancel');
  if (refusal) return reply(refusal);
  const result = await cancelRun(deps.sql, deps.emit, run, user);
  if (result === 'canceled') deps.metrics.runsTotal.inc({ status: 'canceled' });
  return reply(result === 'canceled' ? 'The run is canceled; everyone who ordered is told in its thread.' : cannotCancel(run));
}

function cannotCancel(run: ControlledRun): string {
  if (run.status === 'completed') return 'This run is already done, so it can no longer be canceled.';
  return 'This run is already canceled.';
}

async function volunteer(sql: Sql, run: ControlledRun, payload: BlockActionsPayload): Promise<void> {
  const userId = await ensureUser(sql, payload.user.id, payload.team?.id ?? payload.user.team_id ?? 'unknown');
  await sql`insert into run_volunteers (run_id, user_id) values (${run.id}, ${userId}) on conflict do nothing`;
}

/**
 * Mark done and I can't go, from the runner's DM (so the run is found by id, and the clicking
 * user must be its runner).
 */
export async function handleRunnerAction(payload: BlockActionsPayload, deps: InteractionDeps, reply: Reply): Promise<void> {
  const action = payload.actions[0]!;
  const user = payload.user.id;
  const [run] = action.value && isRunId(action.value)
    ? await deps.sql<{ id: string; status: string; slackChannelId: string; runnerSlackUserId: string | null }[]>`
        select r.id, r.status, c.slack_channel_id, ru.slack_user_id as runner_slack_user_id
        from runs r join channels c on c.id = r.channel_id left join users ru on ru.id = r.runner_id
        where r.id = ${action.value}`
    : [];
  if (!run) return reply(refusalFor(undefined)!);
  if (run.runnerSlackUserId !== user) {
    return reply(run.runnerSlackUserId ? `Only the runner, <@${run.runnerSlackUserId}>, can do that.` : 'This run has no runner.');
  }
  if (run.status !== 'closed') {
    return reply(run.status === 'completed' ? 'This run is already marked done. Thanks!' : 'This run was canceled, so there is nothing to do.');
  }
  const done = action.action_id === runActions.markDone;
  const changed = await deps.sql.begin(async (tx) => {
    const rows = done
      ? await tx`
          update runs set status = 'completed', completed_at = now(), updated_at = now()
          where id = ${run.id} and status = 'closed' and runner_id = (select id from users where slack_user_id = ${user})
          returning completed_at`
      : await tx`
          insert into run_declines (run_id, user_id)
          select ${run.id}, id from users where slack_user_id = ${user}
          on conflict do nothing
          returning run_id`;
    if (rows.length === 0) return false;
    await deps.emit(tx, done
      ? {
          type: 'com.coffeebuddy.run.completed',
          subject: run.id,
          partitionKey: run.slackChannelId,
          correlationId: run.id,
          data: { runId: run.id, slackChannelId: run.slackChannelId, runnerSlackUserId: user, completedAt: (rows[0]!.completedAt as Date).toISOString() },
        }
      : {
          type: 'com.coffeebuddy.runner.declined',
          subject: run.id,
          partitionKey: run.slackChannelId,
          correlationId: run.id,
          data: { runId: run.id, slackChannelId: run.slackChannelId, slackUserId: user },
        });
    return true;
  });
  deps.log.info(done ? 'run marked done' : 'runner declined', { runId: run.id, changed });
  if (done && changed) deps.metrics.runsTotal.inc({ status: 'completed' });
  if (!changed) return reply(done ? 'This run is already marked done. Thanks!' : "Got it, you already said you can't go.");
  return reply(done ? 'Marked done. Thanks for the coffee run! :coffee:' : "No problem: the next fairest person is being picked, and the channel will see who.");
}
