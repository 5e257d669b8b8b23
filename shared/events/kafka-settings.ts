import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { KafkaSettings } from '../config.ts';

// The Kafka settings without kafkajs itself (only its types), so a bundle can read them and load
// kafkajs (./kafka-client.ts) only when it has brokers to talk to.

/** Where the brokers are and how to talk to them: everything a Kafka client needs but a logger. */
export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** SASL authentication (PLAIN or SCRAM); the password is never logged. */
  sasl?: SASLOptions;
  /** TLS; absent for plaintext. */
  ssl?: ConnectionOptions;
}

/**
 * The connection every Kafka client of CoffeeBuddy makes, from the `KAFKA_*` variables (null
 * without `KAFKA_BROKERS`). The CA certificate was read once with the rest of the configuration;
 * callers override `clientId` to tell their clients apart.
 */
export function kafkaClientOptionsFromConfig(config: KafkaSettings): KafkaConnection | null {
  if (!config.KAFKA_BROKERS) return null;
  const connection: KafkaConnection = { brokers: parseBrokers(config.KAFKA_BROKERS), clientId: config.KAFKA_CLIENT_ID };
  // loadConfig refuses a mechanism without user name and password, so both are set here.
  if (config.KAFKA_SASL_MECHANISM) {
    connection.sasl = {
      mechanism: config.KAFKA_SASL_MECHANISM,
      username: config.KAFKA_SASL_USERNAME ?? '',
      password: config.KAFKA_SASL_PASSWORD ?? '',
    };
  }
  if (config.KAFKA_TLS) {
    // A CA given replaces Node's default trust store (a corporate cluster's own CA).
    connection.ssl = {
      rejectUnauthorized: config.KAFKA_TLS_REJECT_UNAUTHORIZED,
      ...(config.KAFKA_TLS_CA ? { ca: [config.KAFKA_TLS_CA] } : {}),
    };
  }
  return connection;
}

/** Parse `KAFKA_BROKERS` ("host:port,host:port"). */
export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
}
