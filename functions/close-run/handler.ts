import { finishedRunMessage, type RunOutcome } from '../../shared/domain/run-message.ts';
import { listActiveOrders, lockRunView, type RunView } from '../../shared/domain/run-queries.ts';
import type { Sql } from '../../shared/db/client.ts';
import { AppError } from '../../shared/errors.ts';
import type { CoffeeEvent } from '../../shared/events/cloud-event.ts';
import type { EventData } from '../../shared/events/catalog.ts';
import type { FunctionDeps } from '../../shared/function.ts';
import { canceledNotice, releasedDm, runnerDm, summaryMessage } from './messages.ts';
import { closeOpenRun, setRunnerDm, setSummaryTs } from './queries.ts';

export type CloseRunDeps = FunctionDeps<Record<string, never>>;

/**
 * run.close_requested → freeze the orders (run `closed`) and emit run.closed with the participants.
 * The status change is conditional, so a run canceled meanwhile stays canceled.
 */
export async function handleCloseRequested(event: CoffeeEvent, tx: Sql, deps: CloseRunDeps): Promise<void> {
  const data = event.data as EventData<'com.coffeebuddy.run.close_requested'>;
  const closed = await closeOpenRun(tx, data.runId);
  if (!closed) {
    deps.log.info('close requested for a run that is not open; nothing to do', { runId: data.runId });
    return;
  }
  const orders = await listActiveOrders(tx, data.runId);
  await deps.emit(tx, {
    type: 'com.coffeebuddy.run.closed',
    subject: data.runId,
    partitionKey: data.slackChannelId,
    correlationId: data.runId,
    data: {
      runId: data.runId,
      slackChannelId: data.slackChannelId,
      participantSlackUserIds: orders.map((o) => o.slackUserId),
      closedAt: closed.closedAt.toISOString(),
    },
  });
  deps.metrics.runsTotal.inc({ status: 'closed' });
  deps.metrics.runDurationSeconds.observe((closed.closedAt.getTime() - closed.startedAt.getTime()) / 1000);
  deps.log.info('run closed', { runId: data.runId, orders: orders.length });
}

/**
 * runner.assigned → post the one channel summary, mark the run message closed, and DM the runner
 * the identical order list. Each message's ts is recorded with the run, so a redelivered or
 * repeated event edits instead of posting twice. A reassignment (someone couldn't go) edits the
 * summary, releases the old runner's DM and DMs the new runner.
 */
export async function handleRunnerAssigned(event: CoffeeEvent, tx: Sql, deps: CloseRunDeps): Promise<void> {
  const data = event.data as EventData<'com.coffeebuddy.runner.assigned'>;
  const run = await lockRunView(tx, data.runId);
  if (!run) throw new AppError('validation', `unknown run ${data.runId}`);
  if (run.status !== 'closed' || run.runnerSlackUserId !== data.runnerSlackUserId) {
    deps.log.info('runner assignment no longer current; nothing to post', { runId: run.id, status: run.status });
    return;
  }
  const orders = await listActiveOrders(tx, run.id);
  const change = data.replacesSlackUserId ? { declinedSlackUserId: data.replacesSlackUserId } : undefined;
  const summary = summaryMessage(run, orders, change);
  if (run.summaryTs) {
    await deps.slack.updateMessage({ channel: run.slackChannelId, ts: run.summaryTs, ...summary });
  } else {
    const posted = await deps.slack.postMessage({ channel: run.slackChannelId, ...summary });
    await setSummaryTs(tx, run.id, posted.ts);
  }
  await updateRunMessage(run, orders, { kind: 'closed', runnerSlackUserId: run.runnerSlackUserId }, deps);

  if (run.runnerDmTs && run.runnerDmChannel && change) {
    const released = releasedDm(run, `${run.runnerSlackUserId ? `<@${run.runnerSlackUserId}> is going instead` : 'nobody else can go'}.`);
    await deps.slack.updateMessage({ channel: run.runnerDmChannel, ts: run.runnerDmTs, ...released });
    await setRunnerDm(tx, run.id, null);
    run.runnerDmTs = null;
  }
  if (run.runnerSlackUserId && !run.runnerDmTs) {
    const channel = await deps.slack.openDirectMessage(run.runnerSlackUserId);
    const dm = await deps.slack.postMessage({ channel, ...runnerDm(run, orders) });
    await setRunnerDm(tx, run.id, dm);
  }
  deps.log.info('runner announced', { runId: run.id, runner: run.runnerSlackUserId, orders: orders.length, reassigned: Boolean(change) });
}

/** run.completed → the run message says it's done. */
export async function handleRunCompleted(event: CoffeeEvent, tx: Sql, deps: CloseRunDeps): Promise<void> {
  const data = event.data as EventData<'com.coffeebuddy.run.completed'>;
  const run = await lockRunView(tx, data.runId);
  if (!run) throw new AppError('validation', `unknown run ${data.runId}`);
  const orders = await listActiveOrders(tx, run.id);
  await updateRunMessage(run, orders, { kind: 'completed', runnerSlackUserId: data.runnerSlackUserId }, deps);
}

/**
 * run.canceled → the run message says so, participants are told in its thread, and a summary or
 * runner DM already posted is updated.
 */
export async function handleRunCanceled(event: CoffeeEvent, tx: Sql, deps: CloseRunDeps): Promise<void> {
  const data = event.data as EventData<'com.coffeebuddy.run.canceled'>;
  const run = await lockRunView(tx, data.runId);
  if (!run) throw new AppError('validation', `unknown run ${data.runId}`);
  const orders = await listActiveOrders(tx, run.id);
  await updateRunMessage(run, orders, { kind: 'canceled', canceledBySlackUserId: data.canceledBySlackUserId }, deps);
  if (run.messageTs) {
    await deps.slack.postMessage({ channel: run.slackChannelId, threadTs: run.messageTs, text: canceledNotice(data.canceledBySlackUserId, orders) });
  }
  if (run.summaryTs) {
    const text = `:no_entry_sign: This coffee run was canceled by <@${data.canceledBySlackUserId}>.`;
    await deps.slack.updateMessage({ channel: run.slackChannelId, ts: run.summaryTs, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  }
  if (run.runnerDmChannel && run.runnerDmTs) {
    await deps.slack.updateMessage({ channel: run.runnerDmChannel, ts: run.runnerDmTs, ...releasedDm(run, 'the run was canceled.') });
  }
  deps.metrics.runsTotal.inc({ status: 'canceled' });
}

async function updateRunMessage(run: RunView, orders: Awaited<ReturnType<typeof listActiveOrders>>, outcome: RunOutcome, deps: CloseRunDeps) {
  if (!run.messageChannel || !run.messageTs) return;
  const message = finishedRunMessage({ ...run, runId: run.id, orders }, outcome);
  await deps.slack.updateMessage({ channel: run.messageChannel, ts: run.messageTs, ...message });
}
