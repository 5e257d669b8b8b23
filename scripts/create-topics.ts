/**
 * `npm run kafka:topics`: create CoffeeBuddy's topics on KAFKA_BROKERS if missing (idempotent).
 * KAFKA_TOPIC_PREFIX prefixes every name; KAFKA_REPLICATION_FACTOR defaults to 1.
 */
import { createKafkaClient, parseBrokers } from '../shared/events/kafka-client.ts';
import { ensureTopics } from '../shared/events/kafka-topics.ts';
import { createLogger } from '../shared/logging.ts';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) {
  process.stderr.write('KAFKA_BROKERS: required but not set (e.g. 127.0.0.1:9092)\n');
  process.exit(1);
}
const kafka = createKafkaClient({ brokers: parseBrokers(brokers), clientId: 'coffeebuddy-topics', log: createLogger({ level: 'warn' }) });
const created = await ensureTopics(kafka, {
  prefix: process.env.KAFKA_TOPIC_PREFIX ?? '',
  replicationFactor: Number(process.env.KAFKA_REPLICATION_FACTOR ?? 1),
});
process.stdout.write(created.length ? `created: ${created.join(', ')}\n` : 'all topics exist\n');
