import { describe, expect, it } from 'vitest';
import { signSlackRequest, verifySlackRequest } from './verify-request.ts';

// Slack's documented example (https://api.slack.com/authentication/verifying-requests-from-slack).
const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const timestamp = '1531420618';
const body =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const atTimestamp = new Date(Number(timestamp) * 1000);

const verify = (overrides: Partial<Parameters<typeof verifySlackRequest>[0]>) =>
  verifySlackRequest({
    signingSecret: secret,
    rawBody: body,
    timestampHeader: timestamp,
    signatureHeader: signature,
    now: atTimestamp,
    ...overrides,
  });

describe('verifySlackRequest', () => {
  it("matches Slack's documented test vector", () => {
    expect(signSlackRequest(secret, timestamp, body)).toBe(signature);
    expect(verify({})).toEqual({ ok: true });
  });

  it('accepts a request up to five minutes old and refuses one older or from the future', () => {
    expect(verify({ now: new Date(atTimestamp.getTime() + 300_000) })).toEqual({ ok: true });
    expect(verify({ now: new Date(atTimestamp.getTime() + 301_000) })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verify({ now: new Date(atTimestamp.getTime() - 301_000) })).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('refuses a tampered body, a wrong secret, and a truncated signature', () => {
    expect(verify({ rawBody: body.replace('text=', 'text=x') })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ signingSecret: 'another-secret' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ signatureHeader: signature.slice(0, 20) })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses missing or malformed headers', () => {
    expect(verify({ signatureHeader: undefined })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ timestampHeader: undefined })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ timestampHeader: 'yesterday' })).toEqual({ ok: false, reason: 'missing_headers' });
  });
});
