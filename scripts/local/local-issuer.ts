import { createServer, type ServerResponse } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** What a sender asks of an issuer: a bearer token for a sink's audience. */
export interface TokenSource {
  token(audience: string): Promise<string>;
}

/** The claims and times of a token minted on purpose (tests of refusals). */
export interface MintOptions {
  audience: string | string[];
  /** Default: the issuer's clock now. */
  issuedAt?: Date;
  /** Default: the issuer's token lifetime. */
  expiresInSeconds?: number;
  notBefore?: Date;
  /** Default: this issuer. */
  issuer?: string;
  subject?: string;
}

export interface LocalIssuer extends TokenSource {
  /** The issuer (`iss`): an http URL on the loopback interface that serves OIDC discovery. */
  url: string;
  jwksUrl: string;
  /** A token for `audience`, reused until a minute before it expires (by the issuer's clock). */
  token(audience: string): Promise<string>;
  /** A token exactly as asked, signed with this issuer's key, not cached. */
  mint(options: MintOptions): Promise<string>;
  close(): Promise<void>;
}

const algorithm = 'ES256';
/** The subject of every token `token()` mints: like a Knative source's OIDC identity: `system:serviceaccount:<namespace>:<name>`. */
export const localSenderSubject = 'system:serviceaccount:local:coffeebuddy-event-sender';

/**
 * A small OIDC issuer for `npm start` and the tests, standing in for the cluster's service-account
 * issuer: an ES256 key pair made at start, discovery (`/.well-known/openid-configuration`) and
 * the JWKS (`/openid/v1/jwks`, the path Kubernetes uses) on a loopback port, and short-lived
 * tokens per audience. The functions verify these tokens with the same code and the same
 * discovery as in production; only the issuer differs.
 */
export async function startLocalIssuer(options: { now?: () => Date; tokenTtlSeconds?: number; port?: number } = {}): Promise<LocalIssuer> {
  const now = options.now ?? (() => new Date());
  const ttlSeconds = options.tokenTtlSeconds ?? 300;
  const { privateKey, publicKey } = await generateKeyPair(algorithm);
  const publicJwk: JWK = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = { keys: [{ ...publicJwk, kid, alg: algorithm, use: 'sig' }] };
  let url = '';

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET') return send(res, 405, { error: 'method_not_allowed' });
    if (path === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer: url,
        jwks_uri: `${url}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [algorithm],
      });
    }
    if (path === '/openid/v1/jwks') return send(res, 200, jwks);
    return send(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const mint = (mintOptions: MintOptions) => sign(privateKey, kid, { issuer: url, ttlSeconds, now: now() }, mintOptions);
  const cache = new Map<string, { token: string; issuedAt: number; expiresAt: number }>();
  return {
    url,
    jwksUrl: `${url}/openid/v1/jwks`,
    async token(audience) {
      const at = now().getTime();
      const cached = cache.get(audience);
      // The clock may be moved (tests): a cached token is reused only inside its own lifetime.
      if (cached && at >= cached.issuedAt && at < cached.expiresAt - 60_000) return cached.token;
      const token = await mint({ audience, issuedAt: new Date(at) });
      cache.set(audience, { token, issuedAt: Math.floor(at / 1000) * 1000, expiresAt: at + ttlSeconds * 1000 });
      return token;
    },
    mint,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function sign(key: CryptoKey, kid: string, defaults: { issuer: string; ttlSeconds: number; now: Date }, options: MintOptions): Promise<string> {
  const issuedAt = options.issuedAt ?? defaults.now;
  const seconds = Math.floor(issuedAt.getTime() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: algorithm, kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? defaults.issuer)
    .setSubject(options.subject ?? localSenderSubject)
    .setAudience(options.audience)
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + (options.expiresInSeconds ?? defaults.ttlSeconds));
  if (options.notBefore) jwt.setNotBefore(Math.floor(options.notBefore.getTime() / 1000));
  return jwt.sign(key);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
