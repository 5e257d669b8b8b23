import { defineFunction } from '../../shared/function.ts';
import { effectKinds, sendLastCall, sendPickupPassed, sendRunnerReminder } from './effects.ts';
import { dropReminders, scheduleRunnerReminder } from './handler.ts';
import { reminderConfig } from './schema.ts';
import { runReminderTick } from './tick.ts';

/**
 * reminder-due: what happens on time — the runner's reminder before pickup, the last call before a
 * scheduled close, and the close itself. Scheduled from events, carried out by a tick each minute.
 */
export const reminderDue = defineFunction({
  name: 'reminder-due',
  description: 'Runner reminders before pickup, last calls and scheduled closes, on a tick each minute',
  config: reminderConfig,
  usesSlack: true,
  routes: [],
  consumes: {
    'com.coffeebuddy.runner.assigned': scheduleRunnerReminder,
    'com.coffeebuddy.run.canceled': dropReminders,
    'com.coffeebuddy.run.completed': dropReminders,
  },
  publishes: ['com.coffeebuddy.run.close_requested', 'com.coffeebuddy.reminder.sent'],
  effects: { [effectKinds.runnerReminder]: sendRunnerReminder, [effectKinds.lastCall]: sendLastCall, [effectKinds.pickupPassed]: sendPickupPassed },
  // Every minute: reminders are due to the minute (±1 min), so this function stays warm.
  timers: [{ name: 'reminders', schedule: '* * * * *', run: runReminderTick }],
});
