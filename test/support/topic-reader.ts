import type { Consumer } from 'kafkajs';
import { createKafkaClient, parseBrokers } from '../../shared/events/kafka-client.ts';
import { silentLogger } from '../../shared/logging.ts';

/** A Kafka record as a reader sees it: key, value and headers as strings. */
export interface ReadRecord {
  key: string | undefined;
  value: string;
  headers: Record<string, string | undefined>;
}

/** Read every record of a topic from the beginning (a consumer group of its own), until `stop`. */
export async function readTopic(brokers: string, topic: string): Promise<{ records: ReadRecord[]; stop: () => Promise<void> }> {
  const kafka = createKafkaClient({ brokers: parseBrokers(brokers), clientId: 'reader', log: silentLogger });
  const consumer: Consumer = kafka.consumer({ groupId: `reader-${Math.random().toString(36).slice(2)}` });
  const records: ReadRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = value?.toString();
      records.push({ key: message.key?.toString(), value: message.value?.toString() ?? '', headers });
    },
  });
  await joined;
  return { records, stop: () => consumer.disconnect() };
}
