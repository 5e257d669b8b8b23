import type { TestProject } from 'vitest/node';
import { saslListenersOf, startBroker, stopBroker, type Broker, type SaslListeners } from '../shared/testing/kafka-broker.ts';
import { bundleCoverageDir } from './support/bundle-coverage.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    /** The broker's SCRAM listeners (SASL_PLAINTEXT and SASL_SSL); null when a reused broker has none. */
    kafkaSasl: SaslListeners | null;
  }
}

let broker: Broker | undefined;

/**
 * One real Kafka broker for the whole test run, with SCRAM listeners beside its plain one.
 * KAFKA_BROKERS reuses an existing broker; with KAFKA_SASL_BROKERS, KAFKA_SASL_SSL_BROKERS and
 * KAFKA_DIR (what `scripts/kafka-broker.sh start --sasl` prints) its SCRAM listeners too.
 */
export async function setup(project: TestProject): Promise<void> {
  const existing = process.env.KAFKA_BROKERS;
  if (!existing) broker = await startBroker({ sasl: true });
  project.provide('kafkaBrokers', existing ?? broker!.brokers);
  const sasl = existing
    ? saslListenersOf({ saslBrokers: process.env.KAFKA_SASL_BROKERS, saslSslBrokers: process.env.KAFKA_SASL_SSL_BROKERS, dir: process.env.KAFKA_DIR })
    : broker!.sasl;
  project.provide('kafkaSasl', sasl ?? null);
  project.provide('bundleCoverageDir', project.config.coverage.enabled ? bundleCoverageDir : null);
}

export async function teardown(): Promise<void> {
  if (broker) await stopBroker(broker);
}
