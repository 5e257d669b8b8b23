import type { Sql } from '../../shared/db/client.ts';
import type { CoffeeEvent } from '../../shared/events/cloud-event.ts';
import type { FunctionDeps } from '../../shared/function.ts';
import type { TxDeps } from '../../shared/events/consumer.ts';
import { reminderSent, runnerReminderEffect } from './effects.ts';
import { cancelPendingReminders, findReminderContext, insertRunnerReminder } from './queries.ts';
import type { ReminderConfig } from './schema.ts';

export type ReminderDeps = FunctionDeps<ReminderConfig>;

const MINUTE = 60_000;

/**
 * runner.assigned → the runner's reminder at pickup − the channel's offset. A re-pick drops the
 * pending reminder and makes one for the new runner. If that time has passed already (pickup very
 * soon), the reminder goes at once, saying so. Nothing without a pickup time, or with reminders
 * off in the channel.
 */
export async function scheduleRunnerReminder(event: CoffeeEvent<'com.coffeebuddy.runner.assigned'>, tx: Sql, deps: TxDeps<ReminderDeps>): Promise<void> {
  const { data } = event;
  const now = deps.now();
  const dropped = await cancelPendingReminders(tx, data.runId, now);
  if (dropped > 0) deps.metrics.remindersTotal.inc({ kind: 'runner', outcome: 'canceled', reason: 'runner_changed' }, dropped);
  const run = await findReminderContext(tx, data.runId);
  const skip = (reason: string) => {
    deps.metrics.remindersTotal.inc({ kind: 'runner', outcome: 'skipped', reason });
    deps.log.info('no runner reminder', { runId: data.runId, reason });
  };
  if (!run || !data.runnerSlackUserId || run.status !== 'closed' || run.runnerSlackUserId !== data.runnerSlackUserId) return skip('not_current');
  if (!run.pickupAt) return skip('no_pickup_time');
  if (!run.remindersEnabled) return skip('channel_off');
  if (run.pickupAt.getTime() <= now.getTime()) return skip('pickup_passed');
  const offset = run.offsetMinutes ?? deps.config.REMINDER_OFFSET_MINUTES;
  const dueAt = new Date(run.pickupAt.getTime() - offset * MINUTE);
  const late = dueAt.getTime() <= now.getTime();
  const reminderId = await insertRunnerReminder(tx, {
    runId: data.runId,
    runnerSlackUserId: data.runnerSlackUserId,
    dueAt,
    createdAt: now,
    sentAt: late ? now : null,
  });
  if (late) {
    await deps.emit(
      tx,
      reminderSent({
        reminderId,
        runId: data.runId,
        slackChannelId: data.slackChannelId,
        kind: 'runner',
        recipientSlackUserId: data.runnerSlackUserId,
        dueAt,
        sentAt: now,
      }),
    );
    await deps.effects.enqueue(tx, runnerReminderEffect({ reminderId, runId: data.runId, runnerSlackUserId: data.runnerSlackUserId, late: true }));
    deps.metrics.remindersTotal.inc({ kind: 'runner', outcome: 'sent', reason: 'due_at_assignment' });
  } else {
    deps.metrics.remindersTotal.inc({ kind: 'runner', outcome: 'scheduled', reason: '' });
  }
  deps.log.info(late ? 'runner reminder sent at once' : 'runner reminder scheduled', {
    runId: data.runId,
    runner: data.runnerSlackUserId,
    dueAt: dueAt.toISOString(),
  });
}

/** run.canceled / run.completed → a pending reminder is dropped: nothing is sent for a run that ended. */
export async function dropReminders(
  event: CoffeeEvent<'com.coffeebuddy.run.canceled' | 'com.coffeebuddy.run.completed'>,
  tx: Sql,
  deps: TxDeps<ReminderDeps>,
): Promise<void> {
  const { data } = event;
  const dropped = await cancelPendingReminders(tx, data.runId, deps.now());
  const reason = event.type === 'com.coffeebuddy.run.canceled' ? 'run_canceled' : 'run_done';
  if (dropped > 0) deps.metrics.remindersTotal.inc({ kind: 'runner', outcome: 'canceled', reason }, dropped);
}
