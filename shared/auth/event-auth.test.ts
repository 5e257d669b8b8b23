import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logging.ts';
import { createMetrics } from '../metrics.ts';
import { audienceFor, createAuthenticate, type AuthSettings } from './event-auth.ts';
import { localSenderSubject, startLocalIssuer, type LocalIssuer } from '../../scripts/local/local-issuer.ts';

const audience = 'coffeebuddy-close-run';
const request = (authorization?: string) => ({
  path: '/events/close-run',
  requestId: 'r1',
  headers: authorization === undefined ? {} : { authorization },
});

describe('bearer checks of internal endpoints against an OIDC issuer (the local one)', () => {
  let issuer: LocalIssuer;
  let clock = new Date('2026-11-23T08:00:00Z');
  const fetched: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    fetched.push(String(input));
    return fetch(input, init);
  };
  const lines: { level: string; msg: string; reason?: string }[] = [];
  const log = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line) as { level: string; msg: string }) });

  beforeAll(async () => {
    issuer = await startLocalIssuer({ now: () => clock });
  });
  afterAll(async () => {
    await issuer.close();
  });

  const authenticate = (settings: Partial<AuthSettings>, metrics = createMetrics()) =>
    createAuthenticate({
      settings: { AUTH_DISABLED: false, AUTH_OIDC_ISSUER: issuer.url, AUTH_OIDC_SUBJECTS: [localSenderSubject], ...settings },
      now: () => clock,
      log,
      metrics,
      fetch: countingFetch,
    });

  it('discovers the JWKS once, then lets a valid token through and refuses the rest with 401', async () => {
    fetched.length = 0;
    const metrics = createMetrics();
    const check = authenticate({}, metrics);
    expect(await check(request(`Bearer ${await issuer.token(audience)}`), [audience])).toBeNull();
    expect(await check(request(`Bearer ${await issuer.token(audience)}`), [audience])).toBeNull();
    expect(fetched).toEqual([`${issuer.url}/.well-known/openid-configuration`, issuer.jwksUrl]);

    const missing = await check(request(), [audience]);
    expect(missing).toMatchObject({ status: 401, body: { error: 'unauthorized' }, headers: { 'www-authenticate': 'Bearer' } });
    const wrongAudience = await check(request(`Bearer ${await issuer.token('coffeebuddy-admin')}`), [audience]);
    expect(wrongAudience).toMatchObject({
      status: 401,
      body: { message: expect.stringMatching(/another audience/) },
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
    const expired = await issuer.mint({ audience, issuedAt: new Date(clock.getTime() - 3600_000), expiresInSeconds: 600 });
    expect(await check(request(`Bearer ${expired}`), [audience])).toMatchObject({ status: 401, body: { message: expect.stringMatching(/expired/) } });
    // The right issuer and audience from a pod that is not a wired source, or a token for ten years.
    const otherPod = await issuer.mint({ audience, subject: 'system:serviceaccount:default:curious-pod' });
    expect(await check(request(`Bearer ${otherPod}`), [audience])).toMatchObject({
      status: 401,
      body: { message: expect.stringMatching(/not sent by a source wired/) },
    });
    const longLived = await issuer.mint({ audience, expiresInSeconds: 10 * 365 * 24 * 3600 });
    expect(await check(request(`Bearer ${longLived}`), [audience])).toMatchObject({ status: 401, body: { message: expect.stringMatching(/lives longer/) } });

    expect((await metrics.errorsTotal.get()).values).toEqual([expect.objectContaining({ labels: { type: 'unauthorized_event' }, value: 5 })]);
    const byReason = Object.fromEntries((await metrics.unauthorizedRequestsTotal.get()).values.map((v) => [v.labels.reason, v.value]));
    expect(byReason).toEqual({ missing: 1, audience: 1, expired: 1, subject: 1, lifetime: 1 });
    // Logged as warnings, without the token.
    const refusals = lines.filter((line) => line.msg === 'request refused: no valid bearer token');
    expect(refusals.map((line) => line.level)).toEqual(['warn', 'warn', 'warn', 'warn', 'warn']);
    expect(JSON.stringify(refusals)).not.toContain(expired);
  });

  it('uses AUTH_OIDC_JWKS_URL without discovery', async () => {
    fetched.length = 0;
    const check = authenticate({ AUTH_OIDC_JWKS_URL: issuer.jwksUrl });
    expect(await check(request(`Bearer ${await issuer.token(audience)}`), [audience])).toBeNull();
    expect(fetched).toEqual([issuer.jwksUrl]);
  });

  it('answers 503 (retried, not dead-lettered) while the issuer cannot be reached, and recovers', async () => {
    const down: Server = createServer((_, res) => res.writeHead(500).end());
    down.listen(0, '127.0.0.1');
    await once(down, 'listening');
    const downUrl = `http://127.0.0.1:${(down.address() as { port: number }).port}`;
    try {
      const check = authenticate({ AUTH_OIDC_ISSUER: downUrl });
      expect(await check(request(`Bearer ${await issuer.mint({ audience, issuer: downUrl })}`), [audience])).toMatchObject({
        status: 503,
        body: { error: 'auth_unavailable' },
      });
      // Discovery naming another issuer is refused too (OIDC Discovery §4.3).
      const mismatched = authenticate({ AUTH_OIDC_ISSUER: `${issuer.url}/` });
      expect(await mismatched(request(`Bearer ${await issuer.token(audience)}`), [audience])).toMatchObject({ status: 503 });
      expect(lines.some((line) => line.level === 'error' && line.msg.startsWith('cannot verify bearer tokens'))).toBe(true);
    } finally {
      down.close();
    }
    // A failed discovery is tried again on the next request.
    let attempts = 0;
    const flaky: typeof fetch = (input, init) => (++attempts === 1 ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init));
    const check = createAuthenticate({
      settings: { AUTH_DISABLED: false, AUTH_OIDC_ISSUER: issuer.url, AUTH_OIDC_SUBJECTS: [localSenderSubject] },
      now: () => clock,
      log,
      metrics: createMetrics(),
      fetch: flaky,
    });
    const valid = `Bearer ${await issuer.token(audience)}`;
    expect(await check(request(valid), [audience])).toMatchObject({ status: 503 });
    expect(await check(request(valid), [audience])).toBeNull();
  });

  it('AUTH_DISABLED lets everything through and says so once at start', async () => {
    lines.length = 0;
    const check = authenticate({ AUTH_DISABLED: true, AUTH_OIDC_ISSUER: undefined });
    expect(await check(request(), [audience])).toBeNull();
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: expect.stringContaining('AUTH_DISABLED=true') })]);
  });

  it('audiences are coffeebuddy-<function> unless AUTH_AUDIENCE says otherwise', () => {
    expect(audienceFor('close-run', {})).toBe('coffeebuddy-close-run');
    expect(audienceFor('close-run', { AUTH_AUDIENCE: 'https://close-run.coffee.svc' })).toBe('https://close-run.coffee.svc');
  });

  it('the local issuer reuses a token until a minute before it expires, by its own clock', async () => {
    const first = await issuer.token(audience);
    expect(await issuer.token(audience)).toBe(first);
    expect(await issuer.token('coffeebuddy-admin')).not.toBe(first);
    clock = new Date(clock.getTime() + 241_000);
    const renewed = await issuer.token(audience);
    expect(renewed).not.toBe(first);
    // Moved back before the renewed token was issued: not reused either.
    clock = new Date(clock.getTime() - 3600_000);
    expect(await issuer.token(audience)).not.toBe(renewed);
  });
});
