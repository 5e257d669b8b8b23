import { z } from 'zod';
import { reminderDefaultsShape } from '../../shared/config.ts';

/** What reminder-due reads beyond the shared variables: the defaults a channel has until an admin sets its own. */
export const reminderConfig = z.object(reminderDefaultsShape);
export type ReminderConfig = z.infer<typeof reminderConfig>;

/** The payload of the reminder effects. */
export const runnerReminderPayload = z.object({ reminderId: z.uuid(), runId: z.uuid(), runnerSlackUserId: z.string().min(1), late: z.boolean() });
export const lastCallPayload = z.object({ runId: z.uuid() });
