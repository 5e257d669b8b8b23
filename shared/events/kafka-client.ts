import { Kafka, Partitioners, logLevel, type KafkaConfig, type Producer } from 'kafkajs';
import type { Logger } from '../logging.ts';
import type { KafkaConnection } from './kafka-settings.ts';

export { kafkaClientOptionsFromConfig, parseBrokers, type KafkaConnection } from './kafka-settings.ts';

/**
 * A kafkajs client whose own logs go through ours (warnings and errors only). Only the message,
 * error text and broker address of kafkajs's log entries are passed on, so neither the SASL
 * password nor a request payload can reach a log line.
 */
export function createKafkaClient(options: KafkaConnection & { log: Logger; retry?: KafkaConfig['retry'] }): Kafka {
  const log = options.log.child({ component: 'kafka' });
  if (options.sasl?.mechanism === 'plain' && !options.ssl) {
    log.warn('Kafka SASL PLAIN without TLS: the password crosses the network in clear text (set KAFKA_TLS=true)');
  }
  if (options.ssl?.rejectUnauthorized === false) {
    log.warn('Kafka TLS without certificate checks (KAFKA_TLS_REJECT_UNAUTHORIZED=false): anyone in the path can read and forge events');
  }
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...(options.sasl ? { sasl: options.sasl } : {}),
    ...(options.ssl ? { ssl: options.ssl } : {}),
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

/** Message headers as a record of strings (Buffers read as UTF-8), leaving out the unset ones. */
export function headerRecord(headers: Record<string, unknown>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) record[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return record;
}
