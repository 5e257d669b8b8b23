import type { Kafka } from 'kafkajs';
import { topicDeclarations } from './topics.ts';

/**
 * Create CoffeeBuddy's topics if they are missing (idempotent), with their declared partitions and
 * retention. Returns the names created now.
 */
export async function ensureTopics(kafka: Kafka, options: { prefix?: string; replicationFactor?: number } = {}): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicDeclarations
      .map((topic) => ({ ...topic, name: `${options.prefix ?? ''}${topic.name}` }))
      .filter((topic) => !existing.has(topic.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic: topic.name,
        numPartitions: topic.partitions,
        replicationFactor: options.replicationFactor ?? 1,
        configEntries: [{ name: 'retention.ms', value: String(topic.retentionMs) }],
      })),
    });
    return missing.map((topic) => topic.name);
  } finally {
    await admin.disconnect();
  }
}
