import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../functions/registry.ts';
import { ConfigError } from './config.ts';
import { loadFunctionsConfig } from './runtime.ts';

const slash = registry.filter((fn) => fn.name === 'slash-command');

describe('configuration', () => {
  it('lists every missing variable in one error', () => {
    let error: unknown;
    try {
      loadFunctionsConfig(slash, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'DATABASE_URL: required but not set',
        'SLACK_BOT_TOKEN: required but not set',
        'SLACK_SIGNING_SECRET: required but not set',
        'AUTH_OIDC_ISSUER: required but not set',
        'AUTH_OIDC_SUBJECTS: required but not set',
      ]),
    );
  });

  it('requires an OIDC issuer for the internal endpoints unless AUTH_DISABLED=true', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db', SLACK_BOT_TOKEN: 't', SLACK_SIGNING_SECRET: 's' };
    expect(() => loadFunctionsConfig(slash, base)).toThrowError(/AUTH_OIDC_ISSUER: required but not set/);
    expect(() => loadFunctionsConfig(slash, { ...base, AUTH_OIDC_ISSUER: 'not a url' })).toThrowError(/AUTH_OIDC_ISSUER: Invalid URL/);
    expect(() => loadFunctionsConfig(slash, { ...base, AUTH_DISABLED: 'yes' })).toThrowError(/AUTH_DISABLED: [\s\S]*AUTH_OIDC_ISSUER: required/);
    const disabled = loadFunctionsConfig(slash, { ...base, AUTH_DISABLED: 'true' });
    expect(disabled.AUTH_DISABLED).toBe(true);
    expect(disabled.AUTH_OIDC_ISSUER).toBeUndefined();
    const issuer = { AUTH_OIDC_ISSUER: 'https://kubernetes.default.svc.cluster.local', AUTH_OIDC_JWKS_URL: 'https://kubernetes.default.svc/openid/v1/jwks' };
    // The issuer alone is not enough: any pod gets its tokens, so the senders must be named too.
    expect(() => loadFunctionsConfig(slash, { ...base, ...issuer })).toThrowError(/AUTH_OIDC_SUBJECTS: required but not set/);
    const config = loadFunctionsConfig(slash, { ...base, ...issuer, AUTH_OIDC_SUBJECTS: 'system:serviceaccount:a:b, system:serviceaccount:a:c' });
    expect(config).toMatchObject({
      AUTH_DISABLED: false,
      AUTH_OIDC_ISSUER: 'https://kubernetes.default.svc.cluster.local',
      AUTH_OIDC_SUBJECTS: ['system:serviceaccount:a:b', 'system:serviceaccount:a:c'],
      AUTH_MAX_TOKEN_LIFETIME_SECONDS: 3600,
    });
  });

  it('reads secrets from NAME_FILE (Vault agent files), an explicit NAME winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-config-'));
    writeFileSync(join(dir, 'token'), 'xoxb-from-file\n');
    writeFileSync(join(dir, 'secret'), 'signing-from-file');
    const config = loadFunctionsConfig(slash, {
      DATABASE_URL: 'postgres://x@127.0.0.1/db',
      SLACK_BOT_TOKEN_FILE: join(dir, 'token'),
      SLACK_SIGNING_SECRET: 'explicit',
      SLACK_SIGNING_SECRET_FILE: join(dir, 'secret'),
      AUTH_OIDC_ISSUER: 'https://kubernetes.default.svc.cluster.local',
      AUTH_OIDC_SUBJECTS: 'system:serviceaccount:coffeebuddy:slash-command-sweep-oidc-sources.knative.dev-pingsource',
    });
    expect(config.SLACK_BOT_TOKEN).toBe('xoxb-from-file');
    expect(config.SLACK_SIGNING_SECRET).toBe('explicit');
    expect(config.PORT).toBe(8080);
  });

  it('names an unreadable secret file and an invalid value', () => {
    expect(() =>
      loadFunctionsConfig(slash, {
        DATABASE_URL: 'postgres://x@127.0.0.1/db',
        SLACK_BOT_TOKEN_FILE: '/nonexistent/token',
        SLACK_SIGNING_SECRET: 's',
        DEFAULT_TIME_ZONE: 'Mars/Olympus',
        PORT: 'eighty',
      }),
    ).toThrowError(/SLACK_BOT_TOKEN_FILE: cannot read \/nonexistent\/token[\s\S]*PORT|PORT[\s\S]*SLACK_BOT_TOKEN_FILE/);
  });

  const valid = {
    DATABASE_URL: 'postgres://x@db.example.internal/db',
    SLACK_BOT_TOKEN: 't',
    SLACK_SIGNING_SECRET: 's',
    AUTH_DISABLED: 'true',
  };

  it('takes Postgres TLS settings, the CA from a file, and refuses a CA that would check nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-config-'));
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = loadFunctionsConfig(slash, { ...valid, DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA_FILE: join(dir, 'ca.pem') });
    expect(config).toMatchObject({ DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' });
    expect(loadFunctionsConfig(slash, valid).DATABASE_SSL_MODE).toBeUndefined();
    expect(() => loadFunctionsConfig(slash, { ...valid, DATABASE_SSL_MODE: 'prefer' })).toThrowError(
      'DATABASE_SSL_MODE: must be one of disable, require, verify-ca, verify-full',
    );
    expect(() => loadFunctionsConfig(slash, { ...valid, DATABASE_SSL_MODE: 'require', DATABASE_SSL_CA_FILE: join(dir, 'ca.pem') })).toThrowError(
      'DATABASE_SSL_MODE: must be verify-full or verify-ca when DATABASE_SSL_CA_FILE is set (the CA is only used to check the server)',
    );
    writeFileSync(join(dir, 'not-a-ca'), 'hello');
    expect(() => loadFunctionsConfig(slash, { ...valid, DATABASE_SSL_MODE: 'verify-ca', DATABASE_SSL_CA_FILE: join(dir, 'not-a-ca') })).toThrowError(
      'DATABASE_SSL_CA (read from DATABASE_SSL_CA_FILE): must hold PEM certificates',
    );
  });

  it("takes a default fairness window an admin could choose, and names the admins' maximum when it is larger", () => {
    expect(loadFunctionsConfig(slash, valid).FAIRNESS_WINDOW_RUNS).toBe(5);
    expect(loadFunctionsConfig(slash, { ...valid, FAIRNESS_WINDOW_RUNS: '50' }).FAIRNESS_WINDOW_RUNS).toBe(50);
    expect(() => loadFunctionsConfig(slash, { ...valid, FAIRNESS_WINDOW_RUNS: '60' })).toThrowError(
      'FAIRNESS_WINDOW_RUNS: must be at most ADMIN_MAX_FAIRNESS_WINDOW_RUNS (50), the largest window a channel admin may set',
    );
    expect(loadFunctionsConfig(slash, { ...valid, FAIRNESS_WINDOW_RUNS: '60', ADMIN_MAX_FAIRNESS_WINDOW_RUNS: '80' }).FAIRNESS_WINDOW_RUNS).toBe(60);
    expect(() => loadFunctionsConfig(slash, { ...valid, FAIRNESS_WINDOW_RUNS: '0' })).toThrowError(/FAIRNESS_WINDOW_RUNS: Too small/);
  });

  it('takes the proxy for Slack calls, blank meaning none', () => {
    const config = loadFunctionsConfig(slash, { ...valid, HTTPS_PROXY: 'http://proxy.example.internal:3128', NO_PROXY: '.example.internal', HTTP_PROXY: '' });
    expect(config).toMatchObject({ HTTPS_PROXY: 'http://proxy.example.internal:3128', NO_PROXY: '.example.internal' });
    expect(config.HTTP_PROXY).toBeUndefined();
    expect(() => loadFunctionsConfig(slash, { ...valid, HTTP_PROXY: 'socks5://proxy.example.internal:1080' })).toThrowError(
      'HTTP_PROXY: must be an http:// or https:// URL such as http://proxy.example.internal:3128',
    );
  });

  it('requires KAFKA_BROKERS of a deployed function that publishes, and not under npm start', () => {
    expect(() => loadFunctionsConfig(slash, valid, { standalone: true })).toThrowError('KAFKA_BROKERS: required but not set');
    expect(loadFunctionsConfig(slash, { ...valid, KAFKA_BROKERS: 'kafka.example.internal:9093' }, { standalone: true }).KAFKA_BROKERS).toBe(
      'kafka.example.internal:9093',
    );
    expect(loadFunctionsConfig(slash, { ...valid, EVENTS_OUTBOX_ONLY: 'true' }, { standalone: true }).EVENTS_OUTBOX_ONLY).toBe(true);
    expect(loadFunctionsConfig(slash, valid).KAFKA_BROKERS).toBeUndefined();
    const admin = registry.filter((fn) => fn.name === 'admin');
    expect(
      loadFunctionsConfig(admin, { DATABASE_URL: valid.DATABASE_URL, AUTH_DISABLED: 'true', SLACK_BOT_TOKEN: 't' }, { standalone: true }).KAFKA_BROKERS,
    ).toBeUndefined();
  });
});
