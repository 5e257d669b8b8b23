import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../functions/registry.ts';
import { ConfigError, kafkaConfigShape, loadConfig } from '../config.ts';
import { createLogger, redact } from '../logging.ts';
import { loadFunctionsConfig } from '../runtime.ts';
import { createKafkaClient, kafkaClientOptionsFromConfig } from './kafka-client.ts';
import { topicOptionsFromConfig } from './kafka-topics.ts';

const loadKafka = (env: NodeJS.ProcessEnv) => loadConfig(z.object(kafkaConfigShape), env);
const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};
const pem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----';
const files = (entries: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-kafka-'));
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, name), text);
  return (name: string) => join(dir, name);
};

describe('Kafka configuration', () => {
  it('defaults: plaintext, no SASL, replication factor 3, each topic its own partitions', () => {
    const config = loadKafka({ KAFKA_BROKERS: 'a:9092, b:9092' });
    expect(kafkaClientOptionsFromConfig(config)).toEqual({ brokers: ['a:9092', 'b:9092'], clientId: 'coffeebuddy' });
    expect(topicOptionsFromConfig(config)).toEqual({ prefix: '', replicationFactor: 3 });
    expect(kafkaClientOptionsFromConfig(loadKafka({}))).toBeNull();
  });

  it('maps SASL and TLS, reading the password and the CA from files once', () => {
    const path = files({ password: 's3cret\n', 'ca.pem': `${pem}\n` });
    const config = loadKafka({
      KAFKA_BROKERS: 'kafka:9093',
      KAFKA_CLIENT_ID: 'cb',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'coffeebuddy',
      KAFKA_SASL_PASSWORD_FILE: path('password'),
      KAFKA_TLS: 'true',
      KAFKA_TLS_CA_FILE: path('ca.pem'),
      KAFKA_TOPIC_PARTITIONS: '12',
      KAFKA_REPLICATION_FACTOR: '1',
    });
    expect(kafkaClientOptionsFromConfig(config)).toEqual({
      brokers: ['kafka:9093'],
      clientId: 'cb',
      sasl: { mechanism: 'scram-sha-512', username: 'coffeebuddy', password: 's3cret' },
      ssl: { rejectUnauthorized: true, ca: [pem] },
    });
    expect(topicOptionsFromConfig(config)).toEqual({ prefix: '', replicationFactor: 1, partitions: 12 });
    // A config logged by mistake keeps the password out.
    expect(JSON.stringify(redact(config))).not.toContain('s3cret');
  });

  it('TLS without a CA trusts the default CAs; certificate checks can be turned off', () => {
    expect(kafkaClientOptionsFromConfig(loadKafka({ KAFKA_BROKERS: 'k:1', KAFKA_TLS: 'TRUE' }))!.ssl).toEqual({ rejectUnauthorized: true });
    expect(kafkaClientOptionsFromConfig(loadKafka({ KAFKA_BROKERS: 'k:1', KAFKA_TLS: 'true', KAFKA_TLS_REJECT_UNAUTHORIZED: 'false' }))!.ssl).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('blank values (a ConfigMap key left empty) count as unset', () => {
    const config = loadKafka({
      KAFKA_BROKERS: 'k:1',
      KAFKA_SASL_MECHANISM: '',
      KAFKA_SASL_USERNAME: '',
      KAFKA_SASL_PASSWORD: '',
      KAFKA_TLS: '',
      KAFKA_TLS_CA: '',
      KAFKA_TOPIC_PARTITIONS: '',
      KAFKA_REPLICATION_FACTOR: '',
    });
    expect(kafkaClientOptionsFromConfig(config)).toEqual({ brokers: ['k:1'], clientId: 'coffeebuddy' });
    expect(topicOptionsFromConfig(config)).toEqual({ prefix: '', replicationFactor: 3 });
  });

  it('a mechanism without its user name and password is one ConfigError, with every other problem', () => {
    const problems = problemsOf(() =>
      loadFunctionsConfig(
        registry.filter((fn) => fn.name === 'close-run'),
        { KAFKA_SASL_MECHANISM: 'scram-sha-256' },
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'DATABASE_URL: required but not set',
        'KAFKA_SASL_USERNAME: required when KAFKA_SASL_MECHANISM is set',
        'KAFKA_SASL_PASSWORD: required when KAFKA_SASL_MECHANISM is set',
      ]),
    );
  });

  it('names half-made and invalid settings, never echoing the password', () => {
    const path = files({ 'not-a-cert.pem': 'hello' });
    expect(
      problemsOf(() =>
        loadKafka({
          KAFKA_SASL_USERNAME: 'u',
          KAFKA_SASL_PASSWORD: 'hunter2',
          KAFKA_TLS_CA_FILE: path('not-a-cert.pem'),
          KAFKA_TLS: 'yes',
          KAFKA_TOPIC_PARTITIONS: '0',
        }),
      ),
    ).toEqual([
      'KAFKA_SASL_MECHANISM: required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set (plain, scram-sha-256 or scram-sha-512)',
      'KAFKA_TLS: must be true when KAFKA_TLS_CA_FILE is set',
      'KAFKA_TLS: must be true or false',
      'KAFKA_TLS_CA (read from KAFKA_TLS_CA_FILE): must hold PEM certificates',
      'KAFKA_TOPIC_PARTITIONS: Too small: expected number to be >=1',
    ]);
    const problems = problemsOf(() =>
      loadKafka({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: '/nonexistent/kafka-password' }),
    );
    expect(problems).toEqual([
      'KAFKA_SASL_PASSWORD_FILE: cannot read /nonexistent/kafka-password',
      'KAFKA_SASL_MECHANISM: must be plain, scram-sha-256 or scram-sha-512',
    ]);
  });

  it('warns when the password would cross the network in clear text', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (line) => lines.push(line) });
    createKafkaClient({ brokers: ['k:1'], clientId: 'c', sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' }, log });
    createKafkaClient({ brokers: ['k:1'], clientId: 'c', sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' }, ssl: {}, log });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('SASL PLAIN without TLS');
    expect(lines[0]).not.toContain('hunter2');
  });
});
