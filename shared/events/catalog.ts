import { z } from 'zod';
import { orderSpec } from '../domain/orders.ts';

const orderChange = z.object({
  runId: z.uuid(),
  orderId: z.uuid(),
  slackChannelId: z.string().min(1),
  slackUserId: z.string().min(1),
  order: orderSpec,
});

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
    // Added with scheduled close; events written before it have none.
    closesAt: z.iso.datetime().nullable().default(null),
    note: z.string(),
    timeZone: z.string().min(1),
    startedAt: z.iso.datetime(),
  }),
  'com.coffeebuddy.run.failed': z.object({
    runId: z.uuid(),
    slackChannelId: z.string().min(1),
    reason: z.string().min(1),
  }),
  'com.coffeebuddy.order.placed': orderChange,
  'com.coffeebuddy.order.updated': orderChange,
  'com.coffeebuddy.order.withdrawn': z.object({
    runId: z.uuid(),
    orderId: z.uuid(),
    slackChannelId: z.string().min(1),
    slackUserId: z.string().min(1),
  }),
  'com.coffeebuddy.run.close_requested': z.object({
    runId: z.uuid(),
    slackChannelId: z.string().min(1),
    requestedBySlackUserId: z.string().min(1),
  }),
  'com.coffeebuddy.run.closed': z.object({
    runId: z.uuid(),
    slackChannelId: z.string().min(1),
    participantSlackUserIds: z.array(z.string().min(1)),
    closedAt: z.iso.datetime(),
  }),
  'com.coffeebuddy.runner.declined': z.object({
    runId: z.uuid(),
    slackChannelId: z.string().min(1),
    slackUserId: z.string().min(1),
  }),
  'com.coffeebuddy.runner.assigned': z.object({
    runId: z.uuid(),
    slackChannelId: z.string().min(1),
    runnerSlackUserId: z.string().min(1).nullable(),
    replacesSlackUserId: z.string().min(1).nullable(),
    rule: z.string().min(1),
    explanation: z.string(),
  }),
  'com.coffeebuddy.run.completed': z.object({
    runId: z.uuid(),
    slackChannelId: z.string().min(1),
    runnerSlackUserId: z.string().min(1),
    completedAt: z.iso.datetime(),
  }),
  'com.coffeebuddy.run.canceled': z.object({
    runId: z.uuid(),
    slackChannelId: z.string().min(1),
    canceledBySlackUserId: z.string().min(1),
    previousStatus: z.enum(['open', 'closed']),
  }),
  // A runner reminder DM or a last call in a run's thread, recorded as sent (once per reminder, in
  // the transaction that records it; its Slack post is a durable effect carried out after commit).
  'com.coffeebuddy.reminder.sent': z.object({
    reminderId: z.uuid(),
    runId: z.uuid(),
    slackChannelId: z.string().min(1),
    kind: z.enum(['runner', 'last_call', 'pickup_passed']),
    // The runner a reminder DMs; null for a last call or a pickup-passed nudge, posted in the run's thread.
    recipientSlackUserId: z.string().min(1).nullable(),
    dueAt: z.iso.datetime(),
    sentAt: z.iso.datetime(),
  }),
  // Channel administration (`/coffee admin`): the audit row is written with the change; these
  // carry the work that happens after it.
  'com.coffeebuddy.admin.settings_changed': z.object({
    slackChannelId: z.string().min(1),
    changedBySlackUserId: z.string().min(1),
    changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
  }),
  'com.coffeebuddy.channel.reset_requested': z.object({
    slackChannelId: z.string().min(1),
    requestedBySlackUserId: z.string().min(1),
    requestedAt: z.iso.datetime(),
  }),
} as const;

export type EventType = keyof typeof eventCatalog;
export type EventData<T extends EventType> = z.infer<(typeof eventCatalog)[T]>;

/** True when `type` is one of ours. */
export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventCatalog, type);
}
