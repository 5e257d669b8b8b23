import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
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
        if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(line, { error: fields.error, broker: fields.broker });
        else log.debug(line);
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
