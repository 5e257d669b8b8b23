import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../functions/registry.ts';
import { kafkaConfigShape, loadConfig } from '../../shared/config.ts';
import { buildEvent } from '../../shared/events/cloud-event.ts';
import { createKafkaClient, createProducer, kafkaClientOptionsFromConfig } from '../../shared/events/kafka-client.ts';
import { ensureTopics, topicOptionsFromConfig } from '../../shared/events/kafka-topics.ts';
import { createKafkaTransport } from '../../shared/events/kafka-transport.ts';
import { topicName } from '../../shared/events/topics.ts';
import { createLogger, silentLogger } from '../../shared/logging.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createProbeConsumer } from '../support/probe-consumer.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { slashCommandBody } from '../support/slack-requests.ts';

// The global setup's broker has SCRAM listeners beside its plain one (scripts/kafka-broker.sh --sasl).
const sasl = inject('kafkaSasl');
// A suite that skips when its broker is missing would pass CI having tested nothing: say what to set instead.
if (!sasl) {
  throw new Error(
    'The SASL/TLS suite needs the test broker SCRAM listeners: with KAFKA_BROKERS set, also set KAFKA_SASL_BROKERS, KAFKA_SASL_SSL_BROKERS and KAFKA_DIR (what `scripts/kafka-broker.sh start --sasl` prints), or unset KAFKA_BROKERS',
  );
}
const uniquePrefix = () => `sasl${Math.random().toString(36).slice(2, 8)}.`;

/** A Kafka client made exactly as the functions make theirs: variables → config → options → client. */
function clientFromEnv(env: Record<string, string>, log = silentLogger, retry?: { retries: number }) {
  const config = loadConfig(z.object(kafkaConfigShape), { KAFKA_REPLICATION_FACTOR: '1', KAFKA_TOPIC_PREFIX: uniquePrefix(), ...env });
  const connection = kafkaClientOptionsFromConfig(config)!;
  const kafka: Kafka = createKafkaClient({ ...connection, log, ...(retry ? { retry } : {}) });
  return { kafka, config, prefix: config.KAFKA_TOPIC_PREFIX };
}

describe('Kafka with SASL/SCRAM and TLS (a corporate cluster)', () => {
  const listeners = sasl;
  const secretsDir = mkdtempSync(join(tmpdir(), 'cb-kafka-sasl-'));
  const passwordFile = join(secretsDir, 'kafka-password');
  beforeAll(() => writeFileSync(passwordFile, `${listeners.password}\n`));
  afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

  describe('SASL_SSL, SCRAM-SHA-512, the CA and the password from files', () => {
    let stack: TestStack;
    const probe = createProbeConsumer('reminder-due');

    beforeAll(async () => {
      stack = await startTestStack({
        functions: [...registry.filter((fn) => fn.name === 'slash-command'), probe.descriptor],
        kafka: { brokers: listeners.sslBrokers, topicPrefix: uniquePrefix() },
        env: {
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_SASL_USERNAME: listeners.username,
          KAFKA_SASL_PASSWORD_FILE: passwordFile,
          KAFKA_TLS: 'true',
          KAFKA_TLS_CA_FILE: listeners.caFile,
        },
        now: new Date('2026-11-23T08:00:00Z'),
      });
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('/coffee → outbox → Kafka → the consumer, every hop authenticated and encrypted', async () => {
      const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: '10:30 Lobby', channelId: 'CSASL1' }));
      expect(response.status).toBe(200);
      await expect.poll(() => probe.effects.length, { timeout: 15_000 }).toBe(1);
      expect(probe.received[0]).toMatchObject({ type: 'com.coffeebuddy.run.created', partitionkey: 'CSASL1' });
      const ready = await (await fetch(`${stack.url}/health/ready`)).json();
      expect(ready).toMatchObject({ status: 'ok', checks: { events: true } });
    });
  });

  it('SASL_PLAINTEXT, SCRAM-SHA-256: a published event is consumed', async () => {
    const { kafka, config, prefix } = clientFromEnv({
      KAFKA_BROKERS: listeners.brokers,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: listeners.username,
      KAFKA_SASL_PASSWORD: listeners.password,
      KAFKA_TOPIC_PARTITIONS: '2',
    });
    await ensureTopics(kafka, topicOptionsFromConfig(config));
    const admin = kafka.admin();
    await admin.connect();
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topicName('run', prefix)] })).topics;
    await admin.disconnect();
    expect(metadata!.partitions).toHaveLength(2);

    // A short fetch wait: disconnect waits for the fetch in flight.
    const consumer = kafka.consumer({ groupId: `${prefix}reader`, maxWaitTimeInMs: 100 });
    const received: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topicName('run', prefix), fromBeginning: true });
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
      await consumer.run({ eachMessage: async ({ message }) => void received.push(String(message.headers?.ce_id)) });
      await joined;
      const transport = createKafkaTransport({ kafka, topicPrefix: prefix, log: silentLogger });
      const runId = '00000000-0000-4000-8000-0000000000a1';
      await transport.send([
        buildEvent(
          {
            type: 'com.coffeebuddy.run.failed',
            subject: runId,
            partitionKey: 'CSASL2',
            correlationId: runId,
            data: { runId, slackChannelId: 'CSASL2', reason: 'sasl test' },
          },
          { id: `evt-${prefix}1`, source: 'slash-command', time: new Date() },
        ),
      ]);
      await transport.close();
      await expect.poll(() => received, { timeout: 15_000 }).toEqual([`evt-${prefix}1`]);
    } finally {
      await consumer.disconnect();
    }
  });

  it('a wrong password fails at once with a clear error, is not retried, and no log line carries it', async () => {
    const lines: string[] = [];
    const wrong = 'not-the-Password-42';
    // Through a proxy that counts connections: a retried authentication would open another each time.
    const [host, port] = listeners.brokers.split(',')[0]!.split(':');
    const proxy = await startTcpProxy({ host: host!, port: Number(port) });
    try {
      const { kafka, prefix } = clientFromEnv(
        {
          KAFKA_BROKERS: `127.0.0.1:${proxy.port}`,
          KAFKA_SASL_MECHANISM: 'scram-sha-512',
          KAFKA_SASL_USERNAME: listeners.username,
          KAFKA_SASL_PASSWORD: wrong,
        },
        createLogger({ level: 'debug', write: (line) => lines.push(line) }),
      );
      await expect(ensureTopics(kafka, { prefix, replicationFactor: 1 })).rejects.toMatchObject({
        name: 'KafkaJSSASLAuthenticationError',
        message: expect.stringMatching(/SCRAM SHA512 authentication failed: .*invalid credentials/),
      });
      expect(proxy.connections()).toBe(1);
      const transport = createKafkaTransport({ kafka, topicPrefix: prefix, log: silentLogger });
      expect(await transport.ready()).toBe(false);
      const afterReady = proxy.connections();
      await expect(createProducer(kafka).connect()).rejects.toThrow(/authentication failed/);
      // Authentication failures are not retried: one connection for the producer, not kafkajs's retry budget.
      expect(proxy.connections()).toBe(afterReady + 1);
      expect(lines.join('\n')).toMatch(/authentication failed/);
      expect(lines.join('\n')).not.toContain(wrong);
    } finally {
      await proxy.close();
    }
  });

  it('TLS checks the broker certificate unless told not to', async () => {
    const env = {
      KAFKA_BROKERS: listeners.sslBrokers,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: listeners.username,
      KAFKA_SASL_PASSWORD: listeners.password,
      KAFKA_TLS: 'true',
    };
    // Without the CA the self-signed broker is refused (connection errors are retried: keep it short).
    const untrusted = clientFromEnv(env, silentLogger, { retries: 0 }).kafka.admin();
    await expect(untrusted.connect()).rejects.toThrow(/self-signed certificate/);
    await untrusted.disconnect();

    const lines: string[] = [];
    const unchecked = clientFromEnv(
      { ...env, KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' },
      createLogger({ level: 'warn', write: (line) => lines.push(line) }),
    ).kafka.admin();
    await unchecked.connect();
    await unchecked.disconnect();
    expect(lines.join('\n')).toMatch(/without certificate checks/);
  });
});
