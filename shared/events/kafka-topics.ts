import type { Kafka } from 'kafkajs';
import type { KafkaSettings } from '../config.ts';
import { topicDeclarations } from './topics.ts';

/** How CoffeeBuddy's topics are named and created. */
export interface TopicOptions {
  /** Prefix of every topic name (`KAFKA_TOPIC_PREFIX`). */
  prefix: string;
  /** Replicas of each partition (`KAFKA_REPLICATION_FACTOR`): 3 in production, 1 on a single broker. */
  replicationFactor: number;
  /** Partitions of every topic (`KAFKA_TOPIC_PARTITIONS`); unset: each topic's declared default. */
  partitions?: number;
}

/** Topic options from the `KAFKA_*` variables. */
export function topicOptionsFromConfig(config: KafkaSettings): TopicOptions {
  return {
    prefix: config.KAFKA_TOPIC_PREFIX,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    ...(config.KAFKA_TOPIC_PARTITIONS ? { partitions: config.KAFKA_TOPIC_PARTITIONS } : {}),
  };
}

/**
 * Create CoffeeBuddy's topics if they are missing (idempotent), with their partitions, replication
 * factor and retention. Existing topics are left as they are. Returns the names created now.
 */
export async function ensureTopics(kafka: Kafka, options: TopicOptions): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicDeclarations.map((topic) => ({ ...topic, name: `${options.prefix}${topic.name}` })).filter((topic) => !existing.has(topic.name));
    if (missing.length === 0) return [];
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic: topic.name,
          numPartitions: options.partitions ?? topic.partitions,
          replicationFactor: options.replicationFactor,
          configEntries: [{ name: 'retention.ms', value: String(topic.retentionMs) }],
        })),
      });
    } catch (error) {
      throw explainCreateError(error, options.replicationFactor);
    }
    return missing.map((topic) => topic.name);
  } finally {
    await admin.disconnect();
  }
}

/**
 * kafkajs reports failed creations as "Topic creation errors" with the broker's reasons inside;
 * bring the first reason up, and the likely fix when the cluster has too few brokers.
 */
function explainCreateError(error: unknown, replicationFactor: number): unknown {
  const inner = (error as { errors?: { message?: string; type?: string }[] }).errors?.[0];
  if (!(error instanceof Error) || !inner?.message) return error;
  const hint = inner.type === 'INVALID_REPLICATION_FACTOR' ? ` (KAFKA_REPLICATION_FACTOR is ${replicationFactor}; a single-node broker needs 1)` : '';
  return new Error(`Creating Kafka topics failed: ${inner.message}${hint}`, { cause: error });
}
