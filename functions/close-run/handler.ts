import { finishedRunMessage, type RunOutcome } from '../../shared/domain/run-message.ts';
import { findRunView, listActiveOrders, type RunView } from '../../shared/domain/run-queries.ts';
import type { Sql } from '../../shared/db/client.ts';
import { AppError } from '../../shared/errors.ts';
import type { CoffeeEvent } from '../../shared/events/cloud-event.ts';
import type { EventData } from '../../shared/events/catalog.ts';
import type { FunctionDeps } from '../../shared/function.ts';
import { canceledNotice, releasedDm, runnerDm, summaryMessage } from './messages.ts';
import { closeOpenRun, findPosted, rememberPosted, type Posted, type PostedKind } from './queries.ts';

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
 * After runner.assigned commits: post the one channel summary, mark the run message closed, and DM
 * the runner the identical order list. Each post is recorded the moment Slack accepts it, so a
 * redelivery, or a retry after a later step failed, edits instead of posting twice. A reassignment
 * (someone couldn't go) edits the summary, releases the old runner's DM and DMs the new runner.
 */
export async function announceRunner(event: CoffeeEvent, deps: CloseRunDeps): Promise<void> {
  const data = event.data as EventData<'com.coffeebuddy.runner.assigned'>;
  const run = await findRunView(deps.sql, data.runId);
  if (!run) throw new AppError('validation', `unknown run ${data.runId}`);
  if (run.status !== 'closed' || run.runnerSlackUserId !== data.runnerSlackUserId) {
    deps.log.info('runner assignment no longer current; nothing to post', { runId: run.id, status: run.status });
    return;
  }
  const orders = await listActiveOrders(deps.sql, run.id);
  const posted = await findPosted(deps.sql, run.id);
  const change = data.replacesSlackUserId ? { declinedSlackUserId: data.replacesSlackUserId } : undefined;
  await postOrEdit(run.id, 'summary', run.slackChannelId, summaryMessage(run, orders, change), posted, deps);
  await updateRunMessage(run, orders, { kind: 'closed', runnerSlackUserId: run.runnerSlackUserId }, deps);

  const released = change && posted.get(`runner_dm:${change.declinedSlackUserId}`);
  if (released) {
    const reason = run.runnerSlackUserId ? `<@${run.runnerSlackUserId}> is going instead.` : 'nobody else can go.';
    await deps.slack.updateMessage({ ...released, ...releasedDm(run, reason) });
  }
  if (run.runnerSlackUserId) {
    const kind = `runner_dm:${run.runnerSlackUserId}` as const;
    const dmChannel = posted.get(kind)?.channel ?? (await deps.slack.openDirectMessage(run.runnerSlackUserId));
    await postOrEdit(run.id, kind, dmChannel, runnerDm(run, orders), posted, deps);
  }
  deps.log.info('runner announced', { runId: run.id, runner: run.runnerSlackUserId, orders: orders.length, reassigned: Boolean(change) });
}

/** Post a message once per run and kind; when it was posted before, bring it up to date instead. */
async function postOrEdit(
  runId: string,
  kind: PostedKind,
  channel: string,
  message: { text: string; blocks?: Record<string, unknown>[] },
  posted: Map<string, Posted>,
  deps: CloseRunDeps,
): Promise<void> {
  const earlier = posted.get(kind);
  if (earlier) {
    await deps.slack.updateMessage({ ...earlier, ...message });
    return;
  }
  const result = await deps.slack.postMessage({ channel, ...message });
  await rememberPosted(deps.sql, runId, kind, result);
}

/** After run.completed commits: the run message says it's done. */
export async function showCompleted(event: CoffeeEvent, deps: CloseRunDeps): Promise<void> {
  const data = event.data as EventData<'com.coffeebuddy.run.completed'>;
  const run = await findRunView(deps.sql, data.runId);
  if (!run) throw new AppError('validation', `unknown run ${data.runId}`);
  const orders = await listActiveOrders(deps.sql, run.id);
  await updateRunMessage(run, orders, { kind: 'completed', runnerSlackUserId: data.runnerSlackUserId }, deps);
}

/**
 * After run.canceled commits: the run message says so, participants are told in its thread (once),
 * and a summary or runner DM already posted is updated.
 */
export async function announceCanceled(event: CoffeeEvent, deps: CloseRunDeps): Promise<void> {
  const data = event.data as EventData<'com.coffeebuddy.run.canceled'>;
  const run = await findRunView(deps.sql, data.runId);
  if (!run) throw new AppError('validation', `unknown run ${data.runId}`);
  const orders = await listActiveOrders(deps.sql, run.id);
  const posted = await findPosted(deps.sql, run.id);
  await updateRunMessage(run, orders, { kind: 'canceled', canceledBySlackUserId: data.canceledBySlackUserId }, deps);
  if (run.messageTs && !posted.has('canceled_notice')) {
    const notice = await deps.slack.postMessage({ channel: run.slackChannelId, threadTs: run.messageTs, text: canceledNotice(data.canceledBySlackUserId, orders) });
    await rememberPosted(deps.sql, run.id, 'canceled_notice', notice);
  }
  const summary = posted.get('summary');
  if (summary) {
    const text = `:no_entry_sign: This coffee run was canceled by <@${data.canceledBySlackUserId}>.`;
    await deps.slack.updateMessage({ ...summary, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  }
  const dm = run.runnerSlackUserId && posted.get(`runner_dm:${run.runnerSlackUserId}`);
  if (dm) await deps.slack.updateMessage({ ...dm, ...releasedDm(run, 'the run was canceled.') });
}

async function updateRunMessage(run: RunView, orders: Awaited<ReturnType<typeof listActiveOrders>>, outcome: RunOutcome, deps: CloseRunDeps) {
  if (!run.messageChannel || !run.messageTs) return;
  const message = finishedRunMessage({ ...run, runId: run.id, orders }, outcome);
  await deps.slack.updateMessage({ channel: run.messageChannel, ts: run.messageTs, ...message });
}
