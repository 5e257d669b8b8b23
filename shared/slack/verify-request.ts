import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a Slack request was refused; logged, never shown to the caller beyond "unauthorized". */
export type VerifyFailure = 'missing_headers' | 'stale_timestamp' | 'bad_signature';

/** Slack allows five minutes of clock skew before a timestamp counts as a replay. */
export const maxRequestAgeSeconds = 5 * 60;

/**
 * Verify a Slack request signature (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`), compared in constant time,
 * with timestamps more than five minutes from `now` refused. Pure: the clock comes in as an argument.
 */
export function verifySlackRequest(args: {
  signingSecret: string;
  rawBody: Buffer | string;
  timestampHeader: string | undefined;
  signatureHeader: string | undefined;
  now: Date;
}): { ok: true } | { ok: false; reason: VerifyFailure } {
  const { timestampHeader, signatureHeader } = args;
  if (!timestampHeader || !signatureHeader) return { ok: false, reason: 'missing_headers' };
  const timestamp = Number(timestampHeader);
  if (!Number.isInteger(timestamp)) return { ok: false, reason: 'missing_headers' };
  if (Math.abs(Math.floor(args.now.getTime() / 1000) - timestamp) > maxRequestAgeSeconds) {
    return { ok: false, reason: 'stale_timestamp' };
  }
  const expected = Buffer.from(signSlackRequest(args.signingSecret, timestampHeader, args.rawBody));
  const given = Buffer.from(signatureHeader);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  return { ok: true };
}

/** Compute the `X-Slack-Signature` value for a body; used by the verifier, tests and the curl helper. */
export function signSlackRequest(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}
