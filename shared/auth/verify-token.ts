import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/**
 * Signature algorithms a sender's token may use: asymmetric only. The cluster's service-account
 * issuer signs with RS256 (or ES256), Ory Hydra with RS256 or ES256. `none` and the HMAC family are
 * refused before any key is looked up (RFC 8725 §3.1, "perform algorithm verification").
 */
export const acceptedAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** How far the sender's clock may be off ours when `exp` and `nbf` are checked. */
export const defaultClockToleranceSeconds = 30;

/** Tokens longer than this are refused unread (a service-account token is ~1 KB). */
const maxTokenLength = 8 * 1024;

/** Why a token was refused: the sender's fault, answered 401. */
export type TokenRefusal =
  | 'missing'
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'subject'
  | 'lifetime'
  | 'expired'
  | 'not_yet_valid'
  | 'claims';

/**
 * The outcome of checking one `Authorization` header. `unavailable` is ours, not the sender's:
 * the issuer's keys could not be fetched, so nothing can be said about the token (answered 503,
 * which KafkaSource retries).
 */
export type TokenCheck = { ok: true; claims: JWTPayload } | { ok: false; reason: TokenRefusal | 'unavailable'; detail: string };

export interface VerifyTokenInput {
  /** The request's `Authorization` header, as received. */
  authorization: string | undefined;
  /** The issuer's signing keys (jose's `createRemoteJWKSet` in production, a local set in tests). */
  keys: JWTVerifyGetKey;
  /** The expected `iss`, exactly as the issuer writes it. */
  issuer: string;
  /** Audiences this endpoint answers to; the token's `aud` must contain one of them. */
  audiences: readonly string[];
  /**
   * The senders allowed: the token's `sub` must be one of them. Knative Eventing gives each source
   * its own ServiceAccount, and any pod can get a token for any audience from the same issuer, so
   * the audience says what the token is for and only the subject says who sent it.
   */
  subjects: readonly string[];
  /** The longest lifetime accepted (`exp − iat`): a leaked long-lived token stays a risk for its whole life. */
  maxLifetimeSeconds: number;
  /** The clock `exp` and `nbf` are checked against. */
  now: Date;
  clockToleranceSeconds?: number;
}

// RFC 6750 §2.1: `Authorization: Bearer <b64token>`; the scheme is case-insensitive (RFC 9110 §11.1).
const bearerHeader = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Check a bearer JWT as an OIDC sender-identity sink must (Knative Eventing `authentication-oidc`):
 * a signature by one of the issuer's keys with an accepted algorithm, `iss`, `aud`, `sub` among the
 * allowed senders, `exp` and `iat` (required, at most `maxLifetimeSeconds` apart) and `nbf` against
 * `now` with a small tolerance. Pure apart from `keys`.
 */
export async function verifyBearerToken(input: VerifyTokenInput): Promise<TokenCheck> {
  if (!input.authorization) return refuse('missing', 'no Authorization header');
  if (input.authorization.length > maxTokenLength + 16) return refuse('malformed', 'the token is too long');
  const token = bearerHeader.exec(input.authorization)?.[1];
  if (!token) return refuse('malformed', 'expected "Authorization: Bearer <JWT>"');
  if (token.split('.').length !== 3) return refuse('malformed', 'the token is not a signed JWT');
  if (input.audiences.length === 0) return refuse('audience', 'this endpoint accepts no audience');
  try {
    const { payload } = await jwtVerify(token, input.keys, {
      issuer: input.issuer,
      audience: [...input.audiences],
      algorithms: acceptedAlgorithms,
      requiredClaims: ['exp', 'iat', 'sub'],
      currentDate: input.now,
      clockTolerance: input.clockToleranceSeconds ?? defaultClockToleranceSeconds,
    });
    if (!input.subjects.includes(payload.sub!)) return refuse('subject', 'the token was not sent by a source wired to this function');
    if (payload.exp! - payload.iat! > input.maxLifetimeSeconds) {
      return refuse('lifetime', `the token lives longer than the ${input.maxLifetimeSeconds} s accepted here`);
    }
    return { ok: true, claims: payload };
  } catch (error) {
    return classify(error);
  }
}

function refuse(reason: TokenRefusal | 'unavailable', detail: string): TokenCheck {
  return { ok: false, reason, detail };
}

/** jose's error classes → why the token was refused (or that the keys could not be had). */
function classify(error: unknown): TokenCheck {
  if (error instanceof errors.JWTExpired) return refuse('expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return refuse('issuer', 'the token is from another issuer');
    if (error.claim === 'aud') return refuse('audience', 'the token is for another audience');
    if (error.claim === 'nbf' || error.claim === 'iat') return refuse('not_yet_valid', 'the token is not valid yet');
    return refuse('claims', `the token's ${error.claim} claim is ${error.reason === 'missing' ? 'missing' : 'invalid'}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return refuse('algorithm', 'the token is signed with an algorithm not accepted here');
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return refuse('signature', "the token's signature is not the issuer's");
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWKInvalid
  ) {
    return refuse('malformed', 'the token cannot be read');
  }
  // JWKSTimeout, JWKSInvalid, a non-200 from the JWKS URL, discovery or network errors.
  return refuse('unavailable', error instanceof Error ? error.message : String(error));
}
