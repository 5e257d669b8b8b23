import { isStorableText } from '../text.ts';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { HttpRequest } from '../http/types.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import { verifySlackRequest } from './verify-request.ts';

function header(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Verify that a request really comes from Slack, on the raw body, before anything is parsed.
 * Throws `unauthorized` (answered 401, nothing recorded) and counts the refusal.
 */
export function assertFromSlack(
  request: HttpRequest,
  deps: { config: { SLACK_SIGNING_SECRET: string }; now: () => Date; log: Logger; metrics: Metrics },
): void {
  const result = verifySlackRequest({
    signingSecret: deps.config.SLACK_SIGNING_SECRET,
    rawBody: request.rawBody,
    timestampHeader: header(request, 'x-slack-request-timestamp'),
    signatureHeader: header(request, 'x-slack-signature'),
    now: deps.now(),
  });
  if (!result.ok) {
    deps.metrics.errorsTotal.inc({ type: 'unauthorized' });
    deps.log.warn('slack request refused', { reason: result.reason, path: request.path, requestId: request.requestId });
    throw new AppError('unauthorized', 'Invalid Slack signature');
  }
}

/** Decode an `application/x-www-form-urlencoded` body into a plain object. */
export function parseForm(rawBody: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawBody.toString('utf8')));
}

/**
 * Slack's certificate check: a signed `ssl_check=1&token=…` POST (no command, no payload) that
 * Slack may send to any request URL; it wants an empty 200 and nothing done
 * (https://api.slack.com/interactivity/slash-commands, as bolt's `SslCheck` middleware answers it).
 */
export function isSslCheck(form: Record<string, string>): boolean {
  return form.ssl_check === '1';
}

/**
 * A Slack id (team, channel, user) as Slack sends it: short printable ASCII. Anything else is not
 * from Slack, and is refused before it reaches a query or an index.
 */
export const slackId = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'not a Slack id');

/** Free text from Slack that is stored (names, metadata): bounded and storable. */
export const slackText = (max: number) => z.string().max(max).refine(isStorableText, 'text with characters that cannot be stored');
