import type { EventType } from './catalog.ts';

/**
 * The one declaration of CoffeeBuddy's Kafka topics: `scripts/create-topics.ts` creates them and
 * the Knative YAML's KafkaSources name them. Partitions bound how many channels are processed in
 * parallel (records are keyed by channel id, so one channel stays ordered).
 */
export const topicDeclarations = [
  { key: 'run', name: 'coffeebuddy.run.events', partitions: 6, retentionMs: 7 * 24 * 3600 * 1000 },
  { key: 'reminder', name: 'coffeebuddy.reminder.events', partitions: 3, retentionMs: 3 * 24 * 3600 * 1000 },
  { key: 'admin', name: 'coffeebuddy.admin.events', partitions: 3, retentionMs: 30 * 24 * 3600 * 1000 },
  // Undeliverable events, kept long enough for an operator to look at them and replay.
  { key: 'deadLetter', name: 'coffeebuddy.dead-letter', partitions: 1, retentionMs: 30 * 24 * 3600 * 1000 },
] as const;

export type TopicKey = (typeof topicDeclarations)[number]['key'];

/** Topic names with an optional environment prefix (`KAFKA_TOPIC_PREFIX`, e.g. `staging.`). */
export function topicName(key: TopicKey, prefix = ''): string {
  const declaration = topicDeclarations.find((topic) => topic.key === key)!;
  return `${prefix}${declaration.name}`;
}

/** The topic an event type is published to: by the entity in `com.coffeebuddy.<entity>.<verb>`. */
export function topicKeyFor(type: EventType): TopicKey {
  const entity = type.split('.')[2];
  if (entity === 'reminder') return 'reminder';
  if (entity === 'admin' || entity === 'channel') return 'admin';
  return 'run';
}
