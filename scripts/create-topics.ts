/**
 * `npm run kafka:topics`: create CoffeeBuddy's topics on KAFKA_BROKERS if missing (idempotent),
 * connecting as the functions do (KAFKA_SASL_*, KAFKA_TLS*). KAFKA_TOPIC_PREFIX prefixes every
 * name; KAFKA_REPLICATION_FACTOR defaults to 3 (set 1 for a single-node broker) and
 * KAFKA_TOPIC_PARTITIONS overrides each topic's declared partitions.
 */
import { z } from 'zod';
import { ConfigError, kafkaConfigShape, loadConfig } from '../shared/config.ts';
import { createKafkaClient, kafkaClientOptionsFromConfig } from '../shared/events/kafka-client.ts';
import { ensureTopics, topicOptionsFromConfig } from '../shared/events/kafka-topics.ts';
import { createLogger } from '../shared/logging.ts';

const fail = (message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(1);
};

function readConfig() {
  try {
    return loadConfig(z.object(kafkaConfigShape), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail(error.message);
  }
}

const config = readConfig();
const connection = kafkaClientOptionsFromConfig(config) ?? fail('KAFKA_BROKERS: required but not set (e.g. 127.0.0.1:9092)');
const kafka = createKafkaClient({ ...connection, clientId: 'coffeebuddy-topics', log: createLogger({ level: 'warn' }) });
try {
  const created = await ensureTopics(kafka, topicOptionsFromConfig(config));
  process.stdout.write(created.length ? `created: ${created.join(', ')}\n` : 'all topics exist\n');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
