import { z } from 'zod';
import { topicDeclarations } from '../../shared/events/topics.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The fewest days a dedupe row (`processed_events`) must be kept: longer than any record can stay
 * in a topic and be delivered again (a new consumer group reads from `earliest`). Kafka deletes a
 * record only with its whole log segment, once the segment's newest record is past `retention.ms`,
 * so a record can outlive its retention by up to the broker's `log.roll.hours` (7 days by default).
 */
export const minProcessedEventsRetentionDays = Math.ceil(Math.max(...topicDeclarations.map((topic) => topic.retentionMs)) / DAY_MS) + 7 + 1;

/** What admin reads beyond the shared variables: how long bookkeeping rows are kept. */
export const adminConfig = z.object({
  /** Outbox rows are kept this long after they were published (for inspection; replay does not need them). */
  OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /** Which events a consumer handled: kept longer than Kafka can deliver an event again. */
  PROCESSED_EVENTS_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(minProcessedEventsRetentionDays, {
      error: `must be at least ${minProcessedEventsRetentionDays}: longer than the longest topic retention plus a log segment, or a redelivered event is handled twice`,
    })
    .max(3650)
    .default(45),
  /** Channel admin audit rows (`/coffee admin log`) are kept this long. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  /**
   * Personal data outside a channel's runs (SPEC: 90 days for run and preference data): people
   * nothing refers to any more, dead letters never replayed and Slack effects parked this long.
   */
  PERSONAL_DATA_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
});
export type AdminConfig = z.infer<typeof adminConfig>;

/** The payload of the reset notice effect. */
export const resetNoticePayload = z.object({
  eventId: z.string().min(1),
  slackChannelId: z.string().min(1),
  requestedBySlackUserId: z.string().min(1),
});
export type ResetNoticePayload = z.infer<typeof resetNoticePayload>;
