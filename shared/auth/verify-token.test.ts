import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyBearerToken, type VerifyTokenInput } from './verify-token.ts';

const issuer = 'https://kubernetes.default.svc.cluster.local';
const audience = 'coffeebuddy-close-run';
/** The identity Knative gives close-run's KafkaSource (scripts/manifests/identities.ts sourceSubject). */
const sender = 'system:serviceaccount:coffeebuddy:close-run-oidc-sources.knative.dev-kafkasource';
const now = new Date('2026-11-23T08:00:00Z');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

interface SigningKey {
  key: CryptoKey;
  kid: string;
  jwk: JWK;
}

async function signingKey(alg: 'ES256' | 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { key: privateKey, kid, jwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** The cluster's issuer publishes ES256 and RS256 keys; `other` is a key nobody published. */
let es: SigningKey;
let rs: SigningKey;
let other: SigningKey;
let keys: VerifyTokenInput['keys'];

beforeAll(async () => {
  [es, rs, other] = await Promise.all([signingKey('ES256'), signingKey('RS256'), signingKey('ES256')]);
  keys = createLocalJWKSet({ keys: [es.jwk, rs.jwk] });
});

function token(
  claims: { iss?: string; aud?: string | string[]; sub?: string | null; iat?: Date | null; exp?: Date | null; nbf?: Date } = {},
  signer: { key: CryptoKey; kid: string; alg?: string } = es,
): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: signer.alg ?? (signer === rs ? 'RS256' : 'ES256'), kid: signer.kid, typ: 'JWT' })
    .setIssuer(claims.iss ?? issuer)
    .setAudience(claims.aud ?? audience);
  if (claims.sub !== null) jwt.setSubject(claims.sub ?? sender);
  if (claims.iat !== null) jwt.setIssuedAt(seconds(claims.iat ?? now));
  if (claims.exp !== null) jwt.setExpirationTime(seconds(claims.exp ?? new Date(now.getTime() + 3600_000)));
  if (claims.nbf) jwt.setNotBefore(seconds(claims.nbf));
  return jwt.sign(signer.key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const verify = (authorization: string | undefined, overrides: Partial<VerifyTokenInput> = {}) =>
  verifyBearerToken({ authorization, keys, issuer, audiences: [audience], subjects: [sender], maxLifetimeSeconds: 3600, now, ...overrides });

describe('verifyBearerToken', () => {
  it('accepts a token signed by the issuer for this audience (ES256 and RS256), with its claims', async () => {
    const result = await verify(`Bearer ${await token()}`);
    expect(result).toMatchObject({ ok: true, claims: { iss: issuer, aud: audience, sub: sender } });
    expect(await verify(`Bearer ${await token({}, rs)}`)).toMatchObject({ ok: true });
    // The scheme is case-insensitive; an `aud` list needs to contain ours.
    expect(await verify(`bearer ${await token({ aud: ['other', audience] })}`)).toMatchObject({ ok: true });
    // One endpoint may answer to several audiences (npm start's shared /sweep).
    expect(await verify(`Bearer ${await token({ aud: 'coffeebuddy-admin' })}`, { audiences: [audience, 'coffeebuddy-admin'] })).toMatchObject({ ok: true });
  });

  it.each([
    ['no header', undefined, 'missing'],
    ['an empty header', '', 'missing'],
    ['another scheme', 'Basic dXNlcjpwYXNz', 'malformed'],
    ['Bearer and nothing', 'Bearer ', 'malformed'],
    ['garbage', 'Bearer not-a-token', 'malformed'],
    ['three garbage segments', 'Bearer a.b.c', 'malformed'],
    ['a header with a space in the token', 'Bearer a.b c', 'malformed'],
    ['a huge token', `Bearer ${'a'.repeat(20_000)}.b.c`, 'malformed'],
  ] as const)('refuses %s (%s)', async (_, header, reason) => {
    expect(await verify(header)).toMatchObject({ ok: false, reason });
  });

  it('refuses a token from any other sender: a foreign, empty or missing subject (any pod can get a token for our audience)', async () => {
    for (const sub of ['system:serviceaccount:default:some-pod', '', null]) {
      expect(await verify(`Bearer ${await token({ sub })}`)).toMatchObject({ ok: false, reason: sub === null ? 'claims' : 'subject' });
    }
    // The same token is accepted where its sender is wired.
    expect(
      await verify(`Bearer ${await token({ sub: 'system:serviceaccount:default:some-pod' })}`, {
        subjects: [sender, 'system:serviceaccount:default:some-pod'],
      }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('refuses a token that lives longer than allowed (ten years, or one second over), or says nothing of when it was issued', async () => {
    const tenYears = await token({ exp: new Date(now.getTime() + 10 * 365 * 24 * 3600_000) });
    expect(await verify(`Bearer ${tenYears}`)).toMatchObject({ ok: false, reason: 'lifetime' });
    expect(await verify(`Bearer ${await token({ exp: new Date(now.getTime() + 3601_000) })}`)).toMatchObject({ ok: false, reason: 'lifetime' });
    expect(await verify(`Bearer ${await token({ exp: new Date(now.getTime() + 3600_000) })}`)).toMatchObject({ ok: true });
    expect(await verify(`Bearer ${await token({ iat: null })}`)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
  });

  it('refuses a token signed by a key the issuer did not publish', async () => {
    // Unknown kid: no key matches.
    expect(await verify(`Bearer ${await token({}, other)}`)).toMatchObject({ ok: false, reason: 'signature' });
    // A published kid over another key's signature.
    expect(await verify(`Bearer ${await token({}, { key: other.key, kid: es.kid })}`)).toMatchObject({ ok: false, reason: 'signature' });
  });

  it('refuses a token with a tampered payload', async () => {
    const [header, , signature] = (await token()).split('.');
    const forged = `${header}.${b64({ iss: issuer, aud: audience, sub: 'me', exp: seconds(now) + 60 })}.${signature}`;
    expect(await verify(`Bearer ${forged}`)).toMatchObject({ ok: false, reason: 'signature' });
  });

  it('refuses a token from another issuer, or for another audience', async () => {
    expect(await verify(`Bearer ${await token({ iss: 'https://hydra.example.com/' })}`)).toMatchObject({ ok: false, reason: 'issuer' });
    expect(await verify(`Bearer ${await token({ aud: 'coffeebuddy-reminder-due' })}`)).toMatchObject({ ok: false, reason: 'audience' });
    expect(await verify(`Bearer ${await token()}`, { audiences: [] })).toMatchObject({ ok: false, reason: 'audience' });
  });

  it('checks exp and nbf against the clock it is given, with a small tolerance', async () => {
    const expired = await token({ iat: new Date(now.getTime() - 7200_000), exp: new Date(now.getTime() - 60_000) });
    expect(await verify(`Bearer ${expired}`)).toMatchObject({ ok: false, reason: 'expired' });
    // Just expired by the sender's clock: within the 30 s tolerance.
    const justExpired = await token({ exp: new Date(now.getTime() - 10_000) });
    expect(await verify(`Bearer ${justExpired}`)).toMatchObject({ ok: true });
    // The same token a minute later is refused: the clock is an argument, not the wall clock.
    expect(await verify(`Bearer ${justExpired}`, { now: new Date(now.getTime() + 60_000) })).toMatchObject({ ok: false, reason: 'expired' });
    const notYet = await token({ nbf: new Date(now.getTime() + 600_000) });
    expect(await verify(`Bearer ${notYet}`)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
    expect(await verify(`Bearer ${notYet}`, { now: new Date(now.getTime() + 600_000) })).toMatchObject({ ok: true });
    // A token that never expires is refused.
    expect(await verify(`Bearer ${await token({ exp: null })}`)).toMatchObject({ ok: false, reason: 'claims' });
  });

  it('refuses alg none and HMAC tokens whatever they claim', async () => {
    const claims = { iss: issuer, aud: audience, sub: 'me', iat: seconds(now), exp: seconds(now) + 60 };
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    expect(await verify(`Bearer ${unsigned}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/algorithm|malformed/) });
    // HS256 "signed" with the public key's bytes (the classic key-confusion attack).
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: rs.kid }).sign(new TextEncoder().encode(JSON.stringify(rs.jwk)));
    expect(await verify(`Bearer ${hmac}`)).toMatchObject({ ok: false, reason: 'algorithm' });
  });

  it('says the keys are unavailable (not the token bad) when they cannot be fetched', async () => {
    const unreachable: VerifyTokenInput['keys'] = async () => {
      throw new TypeError('fetch failed');
    };
    expect(await verify(`Bearer ${await token()}`, { keys: unreachable })).toMatchObject({ ok: false, reason: 'unavailable' });
  });
});
