import { runEvent, type CoffeeEvent } from '../../shared/events/cloud-event.ts';
import { runSyncRunMessage } from '../../shared/domain/run-message-effect.ts';
import { findRunView, listActiveOrders } from '../../shared/domain/run-queries.ts';
import type { Sql } from '../../shared/db/client.ts';
import { findPosted, postOnce, runPost } from '../../shared/effects/slack-posts.ts';
import { escapeMrkdwn, mention } from '../../shared/slack/text.ts';
import type { FunctionDeps } from '../../shared/function.ts';
import type { FairnessDefaults } from '../../shared/config.ts';
import type { TxDeps } from '../../shared/events/consumer.ts';
import { canceledNotice, doneDm, doneNotice, releasedDm, runnerDm, summaryMessage } from './messages.ts';
import { closeOpenRun, postedReminders } from './queries.ts';
import { feedbackPrompt } from '../../shared/domain/feedback-prompt.ts';

export type CloseRunDeps = FunctionDeps<FairnessDefaults>;

/**
 * run.close_requested → freeze the orders (run `closed`) and emit run.closed with the participants.
 * The status change is conditional, so a run canceled meanwhile stays canceled.
 */
export async function handleCloseRequested(event: CoffeeEvent<'com.coffeebuddy.run.close_requested'>, tx: Sql, deps: TxDeps<CloseRunDeps>): Promise<void> {
  const { data } = event;
  const closed = await closeOpenRun(tx, data.runId, deps.now());
  if (!closed) {
    deps.log.info('close requested for a run that is not open; nothing to do', { runId: data.runId });
    return;
  }
  const orders = await listActiveOrders(tx, data.runId);
  await deps.emit(
    tx,
    runEvent('com.coffeebuddy.run.closed', {
      runId: data.runId,
      slackChannelId: data.slackChannelId,
      participantSlackUserIds: orders.map((o) => o.slackUserId),
      closedAt: closed.closedAt.toISOString(),
    }),
  );
  deps.metrics.runsTotal.inc({ status: 'closed' });
  deps.metrics.runDurationSeconds.observe((closed.closedAt.getTime() - closed.startedAt.getTime()) / 1000);
  deps.log.info('run closed', { runId: data.runId, orders: orders.length });
}

/**
 * The durable effect of runner.assigned: post the one channel summary, show the run message
 * closed, and DM the runner the identical order list. Every post goes through `postOnce`, so a
 * retry after Slack failed (or answered late) edits instead of posting twice. A reassignment
 * (someone couldn't go) edits the summary, releases the old runner's DM and DMs the new runner.
 */
export async function announceRunner(event: CoffeeEvent<'com.coffeebuddy.runner.assigned'>, deps: CloseRunDeps): Promise<void> {
  const { data } = event;
  const run = await findRunView(deps.sql, data.runId);
  if (run?.status !== 'closed' || run.runnerSlackUserId !== data.runnerSlackUserId) {
    deps.log.info('runner assignment no longer current; nothing to post', { runId: data.runId, status: run?.status });
    return;
  }
  const orders = await listActiveOrders(deps.sql, run.id);
  const change = data.replacesSlackUserId ? { declinedSlackUserId: data.replacesSlackUserId } : undefined;
  await postOnce(deps.sql, deps.slack, {
    key: runPost(run.id, 'summary'),
    channel: run.slackChannelId,
    message: summaryMessage(run, orders, change),
    now: deps.now(),
  });
  await runSyncRunMessage({ runId: run.id }, deps);

  const posted = await findPosted(deps.sql, run.id);
  const released = change && posted.get(`runner_dm:${change.declinedSlackUserId}`);
  if (released) {
    const reason = run.runnerSlackUserId
      ? `${mention(run.runnerSlackUserId)} is going instead.`
      : 'nobody else who ordered can go, so the channel is asked who can take it.';
    await deps.slack.updateMessage({ ...released, ...releasedDm(run, reason) });
  }
  if (run.runnerSlackUserId) {
    const kind = `runner_dm:${run.runnerSlackUserId}` as const;
    const dmChannel = posted.get(kind)?.channel ?? (await deps.slack.openDirectMessage(run.runnerSlackUserId));
    await postOnce(deps.sql, deps.slack, { key: runPost(run.id, kind), channel: dmChannel, message: runnerDm(run, orders, deps.now()), now: deps.now() });
  }
  deps.log.info('runner announced', { runId: run.id, runner: run.runnerSlackUserId, orders: orders.length, reassigned: Boolean(change) });
}

/**
 * The effect of run.completed: the run message says it's done, and so do the runner's DM and
 * reminders, without their buttons (a reminder for an earlier runner says they need not go); the
 * run's thread is told who completed it and asked for a rating.
 */
export async function showCompleted(event: CoffeeEvent<'com.coffeebuddy.run.completed'>, deps: CloseRunDeps): Promise<void> {
  const { data } = event;
  await runSyncRunMessage({ runId: data.runId }, deps);
  const run = await findRunView(deps.sql, data.runId);
  if (!run) return;
  const orders = await listActiveOrders(deps.sql, run.id);
  const dm = (await findPosted(deps.sql, run.id)).get(`runner_dm:${data.runnerSlackUserId}`);
  if (dm) await deps.slack.updateMessage({ ...dm, ...doneDm(run, orders) });
  for (const { recipientSlackUserId, ...reminder } of await postedReminders(deps.sql, run.id)) {
    const message = recipientSlackUserId === data.runnerSlackUserId ? doneDm(run, orders) : releasedDm(run, 'the run is done.');
    await deps.slack.updateMessage({ ...reminder, ...message });
  }
  // The thread hears who did it, then one optional rating prompt; each posted once however often this runs.
  if (!run.messageChannel || !run.messageTs) return;
  await postOnce(deps.sql, deps.slack, {
    key: runPost(run.id, 'done_notice'),
    channel: run.messageChannel,
    threadTs: run.messageTs,
    message: { text: doneNotice(data.runnerSlackUserId) },
    now: deps.now(),
  });
  await postOnce(deps.sql, deps.slack, {
    key: runPost(run.id, 'feedback_prompt'),
    channel: run.messageChannel,
    threadTs: run.messageTs,
    message: feedbackPrompt(run.id),
    now: deps.now(),
  });
}

/**
 * The effect of run.canceled: the run message says so, participants are told in its thread (once),
 * a summary or runner DM already posted is updated, and the runner (unless they canceled it
 * themselves) gets a new DM, since an edited DM notifies nobody. The canceller and the runner are
 * named in the channel without a ping; people who ordered are mentioned, as they need to know.
 */
export async function announceCanceled(event: CoffeeEvent<'com.coffeebuddy.run.canceled'>, deps: CloseRunDeps): Promise<void> {
  const { data } = event;
  await runSyncRunMessage({ runId: data.runId }, deps);
  const run = await findRunView(deps.sql, data.runId);
  if (!run) return;
  const orders = await listActiveOrders(deps.sql, run.id);
  const canceller = await plainName(deps, data.canceledBySlackUserId);
  const runner = run.runnerSlackUserId ? { slackUserId: run.runnerSlackUserId, name: await plainName(deps, run.runnerSlackUserId) } : null;
  if (run.messageChannel && run.messageTs) {
    await postOnce(deps.sql, deps.slack, {
      key: runPost(run.id, 'canceled_notice'),
      channel: run.messageChannel,
      threadTs: run.messageTs,
      message: { text: canceledNotice({ slackUserId: data.canceledBySlackUserId, name: canceller }, runner, orders) },
      now: deps.now(),
    });
  }
  const posted = await findPosted(deps.sql, run.id);
  const summary = posted.get('summary');
  if (summary) {
    const text = `:no_entry_sign: This coffee run was canceled by ${canceller}.`;
    await deps.slack.updateMessage({ ...summary, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });
  }
  if (!runner) return;
  const dm = posted.get(`runner_dm:${runner.slackUserId}`);
  if (runner.slackUserId === data.canceledBySlackUserId) {
    if (dm) await deps.slack.updateMessage({ ...dm, ...releasedDm(run, 'the run was canceled.') });
    return;
  }
  // One DM says it: the new one notifies them (an edit would not), so the list and reminders with
  // live buttons are deleted rather than left beside it saying the same again.
  const dmChannel = dm?.channel ?? (await deps.slack.openDirectMessage(runner.slackUserId));
  const text = `:ok_hand: The coffee run in <#${run.slackChannelId}> was canceled by ${canceller}: no need to go.`;
  await postOnce(deps.sql, deps.slack, { key: runPost(run.id, `canceled_dm:${runner.slackUserId}`), channel: dmChannel, message: { text }, now: deps.now() });
  for (const message of [...(dm ? [dm] : []), ...(await postedReminders(deps.sql, run.id))]) {
    await deps.slack.deleteMessage({ channel: message.channel, ts: message.ts });
  }
}

/**
 * A person's name as plain text (`@Alice`), which names them without a ping: their stored display
 * name, else Slack's, else a neutral word. Slack being down must not stop the notice.
 */
async function plainName(deps: CloseRunDeps, slackUserId: string): Promise<string> {
  const [row] = await deps.sql<{ displayName: string | null }[]>`select display_name from users where slack_user_id = ${slackUserId}`;
  let name = row?.displayName ?? null;
  if (!name) {
    try {
      name = (await deps.slack.getUser(slackUserId))?.name ?? null;
    } catch {
      name = null;
    }
  }
  return name ? `@${escapeMrkdwn(name)}` : 'a channel member';
}
