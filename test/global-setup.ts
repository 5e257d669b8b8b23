import type { TestProject } from 'vitest/node';
import { startBroker, stopBroker, type Broker } from '../shared/testing/kafka-broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

let broker: Broker | undefined;

/** One real Kafka broker for the whole test run (KAFKA_BROKERS reuses an existing one). */
export async function setup(project: TestProject): Promise<void> {
  const existing = process.env.KAFKA_BROKERS;
  if (!existing) broker = await startBroker();
  project.provide('kafkaBrokers', existing ?? broker!.brokers);
}

export async function teardown(): Promise<void> {
  if (broker) await stopBroker(broker);
}
