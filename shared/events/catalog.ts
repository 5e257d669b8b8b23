import { z } from 'zod';

/**
 * Every CloudEvent type CoffeeBuddy produces, with the zod schema of its data. Producers validate
 * before writing to the outbox and consumers validate again on receipt: the schema is the contract.
 * Types are reverse-DNS and past tense (`com.coffeebuddy.<entity>.<what happened>`).
 */
export const eventCatalog = {
  'com.coffeebuddy.run.created': z.object({
    runId: z.uuid(),
    slackTeamId: z.string().min(1),
    slackChannelId: z.string().min(1),
    initiatorSlackUserId: z.string().min(1),
    pickupAt: z.iso.datetime().nullable(),
    note: z.string(),
    timeZone: z.string().min(1),
    startedAt: z.iso.datetime(),
  }),
  'com.coffeebuddy.run.failed': z.object({
    runId: z.uuid(),
    slackChannelId: z.string().min(1),
    reason: z.string().min(1),
  }),
} as const;

export type EventType = keyof typeof eventCatalog;
export type EventData<T extends EventType> = z.infer<(typeof eventCatalog)[T]>;

/** Kafka topics, named as in the spec; each event type maps to exactly one. */
export const topics = {
  run: 'coffeebuddy.run.events',
  reminder: 'coffeebuddy.reminder.events',
  admin: 'coffeebuddy.admin.events',
  deadLetter: 'coffeebuddy.dead-letter',
} as const;

/** The topic an event type is published to. */
export function topicFor(type: EventType): string {
  const entity = type.split('.')[2];
  if (entity === 'reminder') return topics.reminder;
  if (entity === 'admin' || entity === 'channel') return topics.admin;
  return topics.run;
}

/** True when `type` is one of ours. */
export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventCatalog, type);
}
