import type { JWTVerifyGetKey } from 'jose';
import type { FunctionName } from '../function.ts';
import type { verifyBearerToken as VerifyBearerToken } from './verify-token.ts';
import { jsonError, type Authenticate } from '../http/types.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';

/** The `AUTH_*` variables (shared/config.ts `authConfigShape`), as loaded. */
export interface AuthSettings {
  AUTH_OIDC_ISSUER?: string | undefined;
  AUTH_OIDC_JWKS_URL?: string | undefined;
  AUTH_OIDC_BEARER_TOKEN_PATH?: string | undefined;
  AUTH_AUDIENCE?: string | undefined;
  AUTH_OIDC_SUBJECTS?: readonly string[] | undefined;
  AUTH_MAX_TOKEN_LIFETIME_SECONDS?: number;
  AUTH_DISABLED: boolean;
}

/**
 * The audience a function's internal endpoints answer to: `coffeebuddy-<function>` (what its
 * KafkaSources and PingSources request a token for: `sink.audience`), unless `AUTH_AUDIENCE`
 * names another.
 */
export function audienceFor(name: FunctionName | string, settings: Pick<AuthSettings, 'AUTH_AUDIENCE'>): string {
  return settings.AUTH_AUDIENCE ?? `coffeebuddy-${name}`;
}

/**
 * The server's check of bearer routes: a valid token → through; missing or bad → 401 with a JSON
 * error (KafkaSource dead-letters it at once), counted and logged as a warning without the
 * token; the issuer's keys unreachable → 503 (retried). With `AUTH_DISABLED` every request goes
 * through, and that is said once, as a warning, at start.
 */
export function createAuthenticate(options: { settings: AuthSettings; now: () => Date; log: Logger; metrics: Metrics; fetch?: typeof fetch }): Authenticate {
  const { settings, log, metrics } = options;
  if (settings.AUTH_DISABLED) {
    log.warn('AUTH_DISABLED=true: /events/* and /sweep accept requests without a token (for local work only)');
    return async () => null;
  }
  const issuer = settings.AUTH_OIDC_ISSUER;
  const subjects = settings.AUTH_OIDC_SUBJECTS ?? [];
  // Config loading requires both unless auth is disabled; this is the last guard.
  if (!issuer) throw new Error('AUTH_OIDC_ISSUER is required unless AUTH_DISABLED=true');
  if (subjects.length === 0) throw new Error('AUTH_OIDC_SUBJECTS is required unless AUTH_DISABLED=true');
  // The verifier and jose load with the first token to check: a Slack function's cold start and
  // its Slack requests never need them (a separate chunk of its bundle).
  let verifier: Promise<{ keys: JWTVerifyGetKey; verifyBearerToken: typeof VerifyBearerToken }> | undefined;
  const loadVerifier = () =>
    (verifier ??= Promise.all([import('./issuer-keys.ts'), import('./verify-token.ts')]).then(([{ createIssuerKeys }, { verifyBearerToken }]) => ({
      keys: createIssuerKeys({
        issuer,
        ...(settings.AUTH_OIDC_JWKS_URL ? { jwksUrl: settings.AUTH_OIDC_JWKS_URL } : {}),
        ...(settings.AUTH_OIDC_BEARER_TOKEN_PATH ? { bearerTokenPath: settings.AUTH_OIDC_BEARER_TOKEN_PATH } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
      verifyBearerToken,
    })));
  return async (request, audiences) => {
    const { keys, verifyBearerToken } = await loadVerifier();
    const check = await verifyBearerToken({
      authorization: request.headers.authorization,
      keys,
      issuer,
      audiences,
      subjects,
      maxLifetimeSeconds: settings.AUTH_MAX_TOKEN_LIFETIME_SECONDS ?? 3600,
      now: options.now(),
    });
    if (check.ok) return null;
    if (check.reason === 'unavailable') {
      metrics.errorsTotal.inc({ type: 'auth_unavailable' });
      log.error('cannot verify bearer tokens: the issuer or its keys are unreachable', {
        path: request.path,
        requestId: request.requestId,
        reason: check.detail,
      });
      return jsonError(503, 'auth_unavailable', 'The token cannot be verified right now');
    }
    metrics.errorsTotal.inc({ type: 'unauthorized_event' });
    metrics.unauthorizedRequestsTotal.inc({ route: request.path, reason: check.reason });
    log.warn('request refused: no valid bearer token', { path: request.path, requestId: request.requestId, reason: check.reason });
    return {
      ...jsonError(401, 'unauthorized', `A valid bearer token is required: ${check.detail}`),
      // RFC 6750 §3: the scheme, and an error code only when a token was sent.
      headers: { 'www-authenticate': check.reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"' },
    };
  };
}
