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
});
