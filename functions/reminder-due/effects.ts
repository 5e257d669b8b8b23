import { runEvent, type EventDraft } from '../../shared/events/cloud-event.ts';
import type { EventData } from '../../shared/events/catalog.ts';
import { findRunView, listActiveOrders } from '../../shared/domain/run-queries.ts';
import type { EffectDeps, EffectRequest } from '../../shared/effects/effects.ts';
import { postOnce, runPost } from '../../shared/effects/slack-posts.ts';
import { lastCall, pickupPassed, runnerReminder } from './messages.ts';
import { missingRegulars } from './queries.ts';
import { lastCallPayload, runnerReminderPayload } from './schema.ts';

export const effectKinds = { runnerReminder: 'reminder.runner_dm', lastCall: 'reminder.last_call', pickupPassed: 'reminder.pickup_passed' } as const;

/** The runner's reminder DM, as a durable effect (retried, never posted twice). */
export function runnerReminderEffect(payload: { reminderId: string; runId: string; runnerSlackUserId: string; late: boolean }): EffectRequest {
  return { kind: effectKinds.runnerReminder, key: `reminder:${payload.reminderId}`, scope: payload.runId, payload };
}

/** A run's last call in its thread, as a durable effect. */
export function lastCallEffect(runId: string): EffectRequest {
  return { kind: effectKinds.lastCall, key: `last_call:${runId}`, scope: runId, payload: { runId } };
}

/** The nudge in a run's thread when its pickup time passed while it is still open, as a durable effect. */
export function pickupPassedEffect(runId: string): EffectRequest {
  return { kind: effectKinds.pickupPassed, key: `pickup_passed:${runId}`, scope: runId, payload: { runId } };
}

/** The `reminder.sent` event of a reminder or last call recorded as sent, for the reminder topic. */
export function reminderSent(
  sent: Omit<EventData<'com.coffeebuddy.reminder.sent'>, 'dueAt' | 'sentAt'> & { dueAt: Date; sentAt: Date },
): EventDraft<'com.coffeebuddy.reminder.sent'> {
  return runEvent('com.coffeebuddy.reminder.sent', { ...sent, dueAt: sent.dueAt.toISOString(), sentAt: sent.sentAt.toISOString() });
}

/** Send the reminder unless the run moved on meanwhile (done, canceled, another runner). */
export async function sendRunnerReminder(payload: unknown, deps: EffectDeps): Promise<void> {
  const { reminderId, runId, runnerSlackUserId, late } = runnerReminderPayload.parse(payload);
  const run = await findRunView(deps.sql, runId);
  if (run?.status !== 'closed' || run.runnerSlackUserId !== runnerSlackUserId || !run.pickupAt) {
    deps.log.info('reminder no longer current; not sent', { runId, status: run?.status });
    return;
  }
  const orders = await listActiveOrders(deps.sql, runId);
  const channel = await deps.slack.openDirectMessage(runnerSlackUserId);
  const message = runnerReminder(run, orders, { late, now: deps.now() });
  await postOnce(deps.sql, deps.slack, { key: runPost(runId, `reminder:${reminderId}`), channel, message, now: deps.now() });
}

/** Post the last call in the run's thread while the run still takes orders. */
export async function sendLastCall(payload: unknown, deps: EffectDeps): Promise<void> {
  const { runId } = lastCallPayload.parse(payload);
  const run = await findRunView(deps.sql, runId);
  if (run?.status !== 'open' || !run.closesAt || !run.messageChannel || !run.messageTs) {
    deps.log.info('last call no longer useful; not sent', { runId, status: run?.status });
    return;
  }
  const missing = await missingRegulars(deps.sql, runId);
  await postOnce(deps.sql, deps.slack, {
    key: runPost(runId, 'last_call'),
    channel: run.messageChannel,
    threadTs: run.messageTs,
    message: lastCall(run, missing, deps.now()),
    now: deps.now(),
  });
}

/** Post the pickup-passed nudge in the run's thread while the run is still open. */
export async function sendPickupPassed(payload: unknown, deps: EffectDeps): Promise<void> {
  const { runId } = lastCallPayload.parse(payload);
  const run = await findRunView(deps.sql, runId);
  if (run?.status !== 'open' || !run.pickupAt || !run.messageChannel || !run.messageTs) {
    deps.log.info('pickup nudge no longer useful; not sent', { runId, status: run?.status });
    return;
  }
  await postOnce(deps.sql, deps.slack, {
    key: runPost(runId, 'pickup_passed'),
    channel: run.messageChannel,
    threadTs: run.messageTs,
    message: pickupPassed(run),
    now: deps.now(),
  });
}
