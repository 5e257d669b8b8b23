import { z } from 'zod';

/** What reminder-due reads beyond the shared variables: the defaults a channel has until an admin sets its own. */
export const reminderConfig = z.object({
  /** The runner is reminded this long before pickup. */
  REMINDER_OFFSET_MINUTES: z.coerce.number().int().min(0).max(120).default(5),
  /** A last call goes to the run's thread this long before a scheduled close. */
  LAST_CALL_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
});
export type ReminderConfig = z.infer<typeof reminderConfig>;

/** The payload of the reminder effects. */
export const runnerReminderPayload = z.object({ reminderId: z.uuid(), runId: z.uuid(), runnerSlackUserId: z.string().min(1), late: z.boolean() });
export const lastCallPayload = z.object({ runId: z.uuid() });
