import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createIssuerKeys } from './issuer-keys.ts';

describe('createIssuerKeys', () => {
  it("sends the current service-account token from the file with every key fetch (Kubernetes' JWKS wants an authenticated caller)", async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const dir = await mkdtemp(join(tmpdir(), 'coffeebuddy-sa-'));
    const tokenPath = join(dir, 'token');
    await writeFile(tokenPath, 'sa-token-1\n');
    const seen: (string | null)[] = [];
    const fakeFetch: typeof fetch = async (_input, init) => {
      const authorization = new Headers(init?.headers).get('authorization');
      seen.push(authorization);
      if (authorization !== 'Bearer sa-token-1') return new Response('{}', { status: 401 });
      return new Response(JSON.stringify({ keys: [jwk] }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const keys = createIssuerKeys({
      issuer: 'https://kubernetes.default.svc',
      jwksUrl: 'https://kubernetes.default.svc/openid/v1/jwks',
      bearerTokenPath: tokenPath,
      fetch: fakeFetch,
    });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://kubernetes.default.svc')
      .setAudience('a')
      .setExpirationTime('5m')
      .sign(privateKey);
    const { payload } = await jwtVerify(token, keys, { issuer: 'https://kubernetes.default.svc', audience: 'a' });
    expect(payload.aud).toBe('a');
    expect(seen).toEqual(['Bearer sa-token-1']);
  });
});
