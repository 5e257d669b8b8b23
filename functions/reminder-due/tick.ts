import { runEvent } from '../../shared/events/cloud-event.ts';
import { lastCallEffect, pickupPassedEffect, reminderSent, runnerReminderEffect } from './effects.ts';
import type { ReminderDeps } from './handler.ts';
import type { EffectRequest } from '../../shared/effects/effects.ts';
import {
  claimThreadReminder,
  findLastCallsDue,
  findPickupsPassed,
  lockDueReminders,
  lockRunsToClose,
  markCloseRequested,
  markReminder,
  type ThreadReminderDue,
} from './queries.ts';

/** How many of each a tick takes per transaction; it goes round again until nothing is left. */
const batch = 100;

/**
 * One tick (a PingSource every minute, or npm start's timer): send every due runner reminder,
 * post due last calls, close runs whose ordering closes now, and nudge runs still open at pickup — everything due up to now, so a
 * late tick catches up. Rows are taken `for update skip locked` and recorded as sent in the same
 * transaction as the durable effect that posts them and the `reminder.sent` event that tells the
 * reminder topic, so two ticks at once never send (or announce) twice.
 */
export async function runReminderTick(deps: ReminderDeps): Promise<Record<string, number>> {
  const now = deps.now();
  const effectIds: string[] = [];
  const reminders = await repeat(() => sendDueReminders(deps, now, effectIds));
  const lastCalls = await repeat(() => sendLastCalls(deps, now, effectIds));
  const closes = await repeat(() => closeScheduledRuns(deps, now));
  const pickupsPassed = await repeat(() => nudgePickupsPassed(deps, now, effectIds));
  await deps.effects.runSoon(effectIds, 5_000);
  return { reminders, lastCalls, closes, pickupsPassed };
}

async function repeat(step: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const done = await step();
    total += done;
    if (done < batch) return total;
  }
}

async function sendDueReminders(deps: ReminderDeps, now: Date, effectIds: string[]): Promise<number> {
  return deps.sql.begin(async (tx) => {
    const due = await lockDueReminders(tx, now, batch);
    for (const reminder of due) {
      const current = reminder.status === 'closed' && reminder.runnerSlackUserId === reminder.recipientSlackUserId;
      if (!current || !reminder.remindersEnabled) {
        // Events normally drop these; this catches a run that moved on before its event arrived.
        await markReminder(tx, reminder.id, 'canceled', now);
        deps.metrics.remindersTotal.inc({ kind: 'runner', outcome: 'skipped', reason: current ? 'channel_off' : 'not_current' });
        continue;
      }
      await markReminder(tx, reminder.id, 'sent', now);
      await deps.emit(
        tx,
        reminderSent({
          reminderId: reminder.id,
          runId: reminder.runId,
          slackChannelId: reminder.slackChannelId,
          kind: 'runner',
          recipientSlackUserId: reminder.recipientSlackUserId,
          dueAt: reminder.dueAt,
          sentAt: now,
        }),
      );
      effectIds.push(
        await deps.effects.enqueue(
          tx,
          runnerReminderEffect({ reminderId: reminder.id, runId: reminder.runId, runnerSlackUserId: reminder.recipientSlackUserId, late: false }),
        ),
      );
      deps.metrics.remindersTotal.inc({ kind: 'runner', outcome: 'sent', reason: '' });
      deps.metrics.reminderLatenessSeconds.observe({ kind: 'runner' }, Math.max(0, (now.getTime() - reminder.dueAt.getTime()) / 1000));
      deps.log.info('runner reminder due', { runId: reminder.runId, runner: reminder.recipientSlackUserId });
    }
    return due.length;
  });
}

async function sendLastCalls(deps: ReminderDeps, now: Date, effectIds: string[]): Promise<number> {
  const due = await findLastCallsDue(deps.sql, now, deps.config.LAST_CALL_MINUTES, batch);
  return sendThreadReminders(deps, now, effectIds, 'last_call', due, lastCallEffect);
}

/**
 * Claim each due reminder of this kind (once per run, whichever tick gets there first) and, in the
 * same transaction, publish `reminder.sent` and enqueue the effect that posts it in the run's thread.
 */
async function sendThreadReminders(
  deps: ReminderDeps,
  now: Date,
  effectIds: string[],
  kind: 'last_call' | 'pickup_passed',
  due: readonly ThreadReminderDue[],
  effect: (runId: string) => EffectRequest,
): Promise<number> {
  let sent = 0;
  for (const run of due) {
    const claimed = await deps.sql.begin(async (tx) => {
      const reminderId = await claimThreadReminder(tx, kind, run, now);
      if (!reminderId) return false;
      await deps.emit(
        tx,
        reminderSent({ reminderId, runId: run.id, slackChannelId: run.slackChannelId, kind, recipientSlackUserId: null, dueAt: run.dueAt, sentAt: now }),
      );
      effectIds.push(await deps.effects.enqueue(tx, effect(run.id)));
      return true;
    });
    if (!claimed) continue;
    sent++;
    deps.metrics.remindersTotal.inc({ kind, outcome: 'sent', reason: '' });
    deps.metrics.reminderLatenessSeconds.observe({ kind }, Math.max(0, (now.getTime() - run.dueAt.getTime()) / 1000));
  }
  return due.length === batch ? batch : sent;
}

/** Close runs whose ordering closes by now, exactly as if whoever started them had clicked Close. */
async function closeScheduledRuns(deps: ReminderDeps, now: Date): Promise<number> {
  return deps.sql.begin(async (tx) => {
    const runs = await lockRunsToClose(tx, now, batch);
    for (const run of runs) {
      await markCloseRequested(tx, run.id, now);
      await deps.emit(
        tx,
        runEvent('com.coffeebuddy.run.close_requested', {
          runId: run.id,
          slackChannelId: run.slackChannelId,
          requestedBySlackUserId: run.initiatorSlackUserId,
        }),
      );
      deps.log.info('run closes on schedule', { runId: run.id, closesAt: run.closesAt.toISOString() });
    }
    return runs.length;
  });
}

/** How long after pickup an open run is still nudged (a tick missed for longer sends none). */
const pickupNudgeWindowMinutes = 60;

/** A run still open when its pickup time passes: ask whoever started it, once, to close or cancel it. */
async function nudgePickupsPassed(deps: ReminderDeps, now: Date, effectIds: string[]): Promise<number> {
  const due = await findPickupsPassed(deps.sql, now, pickupNudgeWindowMinutes, batch);
  return sendThreadReminders(deps, now, effectIds, 'pickup_passed', due, pickupPassedEffect);
}
