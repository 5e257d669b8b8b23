import { Kafka, Partitioners, logLevel, type KafkaConfig, type Producer } from 'kafkajs';
import type { Logger } from '../logging.ts';

/** A kafkajs client whose own logs go through ours (warnings and errors only). */
export function createKafkaClient(options: {
  brokers: string[];
  clientId: string;
  log: Logger;
  retry?: KafkaConfig['retry'];
}): Kafka {
  const log = options.log.child({ component: 'kafka' });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: options.retry ?? { initialRetryTime: 200, retries: 5, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...fields } = entry;
        const line = `kafkajs: ${message}`;
        // kafkajs warns about choices made on purpose here (bounded retries on the idempotent
        // producer: our guarantee is at-least-once plus consumer dedupe); keep those at debug.
        if (level === logLevel.ERROR) log.warn(line, { error: fields.error, broker: fields.broker });
        else log.debug(line, { error: fields.error });
      },
  });
}

/** Parse `KAFKA_BROKERS` ("host:port,host:port"). */
export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
}

/**
 * The one producer shape CoffeeBuddy uses: idempotent, one request in flight (so retries keep
 * order), no topic auto-creation, and Java-client-compatible murmur2 partitioning so a key lands
 * on the same partition whichever client wrote it. Sends use `acks: -1`.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}
