import { readFile } from 'node:fs/promises';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';

/** Raised when the issuer's discovery document cannot be had; requests then get 503, not 401. */
export class IssuerUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IssuerUnavailable';
  }
}

export interface IssuerKeysOptions {
  /** The issuer (`iss`); its discovery document is `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** Where the keys are, skipping discovery (a cluster whose advertised `jwks_uri` is not reachable from pods). */
  jwksUrl?: string;
  /** Per request (discovery, JWKS). */
  timeoutMs?: number;
  /**
   * A file holding a bearer token to send with discovery and JWKS requests, read at each fetch
   * (a Kubernetes service-account token rotates): the API server's issuer endpoints answer only
   * authenticated callers unless the cluster opened them to anonymous ones.
   */
  bearerTokenPath?: string;
  fetch?: typeof fetch;
}

/**
 * The issuer's signing keys for jose's `jwtVerify`. Nothing is fetched before the first token
 * arrives (a function scaled from zero starts without a network round trip); then the JWKS URL is
 * discovered once (OpenID Connect Discovery 1.0 §4: `<issuer>/.well-known/openid-configuration`,
 * whose `issuer` must equal ours) unless given, and the key set is cached by jose — refetched after
 * 10 minutes, or at most every 30 s when a token names a key it does not know (key rotation).
 * A failed discovery is retried on the next token.
 */
export function createIssuerKeys(options: IssuerKeysOptions): JWTVerifyGetKey {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const baseFetch = options.fetch ?? fetch;
  const tokenPath = options.bearerTokenPath;
  const doFetch: typeof fetch = tokenPath
    ? async (input, init) => {
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${(await readFile(tokenPath, 'utf8')).trim()}`);
        return baseFetch(input, { ...init, headers });
      }
    : baseFetch;
  let keys: Promise<JWTVerifyGetKey> | null = null;

  const remote = (url: string) =>
    createRemoteJWKSet(new URL(url), {
      timeoutDuration: timeoutMs,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
      ...(options.fetch || tokenPath ? { [customFetch]: doFetch } : {}),
    });

  async function discover(): Promise<JWTVerifyGetKey> {
    if (options.jwksUrl) return remote(options.jwksUrl);
    const url = `${options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await doFetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      if (response.status !== 200) throw new Error(`answered ${response.status}`);
      document = (await response.json()) as typeof document;
    } catch (error) {
      throw new IssuerUnavailable(`OIDC discovery at ${url} failed: ${(error as Error).message}`, { cause: error });
    }
    if (document.issuer !== options.issuer) {
      throw new IssuerUnavailable(`OIDC discovery at ${url} names issuer ${JSON.stringify(document.issuer)}, not ${options.issuer}`);
    }
    if (typeof document.jwks_uri !== 'string' || !URL.canParse(document.jwks_uri)) {
      throw new IssuerUnavailable(`OIDC discovery at ${url} has no usable jwks_uri`);
    }
    return remote(document.jwks_uri);
  }

  return async (protectedHeader, token) => {
    keys ??= discover().catch((error: unknown) => {
      keys = null;
      throw error;
    });
    return (await keys)(protectedHeader, token);
  };
}
