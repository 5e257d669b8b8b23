import { z } from 'zod';
import { defineFunction } from '../../shared/function.ts';

/**
 * reminder-due: Schedules and sends pickup reminders (consumes runner.assigned and run.canceled).
 * Its event handlers arrive with the events they consume; until then it consumes nothing and
 * serves only health and metrics.
 */
export const reminderDue = defineFunction({
  name: 'reminder-due',
  description: 'Schedules and sends pickup reminders (consumes runner.assigned and run.canceled)',
  config: z.object({}),
  usesSlack: false,
  routes: [],
  consumes: {},
  publishes: [],
});
