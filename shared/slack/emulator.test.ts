import { ErrorCode, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeCall, startSlackEmulator, type RecordedCall, type SlackEmulator } from './emulator.ts';

const TOKEN = 'xoxb-emulator-secret';

describe('slack emulator', () => {
  let emulator: SlackEmulator;
  const seen: RecordedCall[] = [];

  const client = (options: WebClientOptions = {}): WebClient =>
    new WebClient(TOKEN, { slackApiUrl: emulator.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, ...options });

  const post = (path: string, body: string, contentType: string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, emulator.url), { method: 'POST', body, headers: { 'Content-Type': contentType, ...headers } });

  beforeAll(async () => {
    emulator = await startSlackEmulator({
      users: { U1: { name: 'ada', real_name: 'Ada Lovelace', tz: 'Europe/London', tz_offset: 3600 } },
      onCall: (call) => seen.push(call),
    });
  });
  afterAll(async () => {
    await emulator.close();
  });
  beforeEach(() => {
    emulator.reset();
    seen.length = 0;
  });

  it('serves the Web API under a base URL with a trailing slash', () => {
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('records chat.postMessage with decoded blocks and applies chat.update', async () => {
    const slack = client();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Coffee run* at 10:00' } }];
    const posted = await slack.chat.postMessage({ channel: 'C1', text: 'Coffee run', blocks });
    expect(posted.ok).toBe(true);
    expect(posted.channel).toBe('C1');
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(posted.message?.text).toBe('Coffee run');

    const [call] = emulator.callsTo('chat.postMessage');
    expect(call?.args).toMatchObject({ channel: 'C1', text: 'Coffee run', blocks });
    expect(call?.token).toBe(TOKEN);
    expect(call?.args.token).toBeUndefined();
    expect(seen).toEqual(emulator.calls);

    const second = await slack.chat.postMessage({ channel: 'C1', text: 'another' });
    expect(Number(second.ts)).toBeGreaterThan(Number(posted.ts));

    const updated = await slack.chat.update({ channel: 'C1', ts: posted.ts ?? '', text: 'Coffee run (closed)' });
    expect(updated).toMatchObject({ ok: true, channel: 'C1', ts: posted.ts, text: 'Coffee run (closed)' });
    expect(emulator.messages('C1')[0]).toMatchObject({ ts: posted.ts, text: 'Coffee run (closed)', blocks, edits: 1 });
    expect(emulator.messages('C1')).toHaveLength(2);

    await expect(slack.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' })).rejects.toMatchObject({
      data: { ok: false, error: 'message_not_found' },
    });
    await slack.chat.delete({ channel: 'C1', ts: second.ts ?? '' });
    expect(emulator.messages('C1')).toHaveLength(1);
  });

  it('answers users.info with the configured user and user_not_found otherwise', async () => {
    const slack = client();
    const res = await slack.users.info({ user: 'U1' });
    expect(res.user).toMatchObject({ id: 'U1', name: 'ada', real_name: 'Ada Lovelace', tz: 'Europe/London', tz_offset: 3600 });
    await expect(slack.users.info({ user: 'U404' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    emulator.setUser('U2', { name: 'bob', tz: 'UTC' });
    expect((await slack.users.info({ user: 'U2' })).user).toMatchObject({ name: 'bob', tz: 'UTC', tz_offset: 0 });
  });

  it('emulates auth.test, conversations.open, ephemeral messages and views', async () => {
    const slack = client();
    expect(await slack.auth.test()).toMatchObject({ ok: true, user_id: expect.any(String), team_id: expect.any(String) });
    expect((await slack.conversations.open({ users: 'U1' })).channel?.id).toBe('DU1');
    expect((await slack.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'psst' })).message_ts).toBeTruthy();
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Order' }, blocks: [] };
    const opened = await slack.views.open({ trigger_id: 'trig', view });
    expect(opened.view?.id).toMatch(/^V/);
    expect(emulator.callsTo('views.open')[0]?.args.view).toEqual(view);
    expect((await slack.views.update({ view_id: opened.view?.id ?? '', view })).view?.id).toBe(opened.view?.id);
  });

  it('rejects missing tokens, missing arguments and unknown methods like Slack', async () => {
    const form = 'application/x-www-form-urlencoded';
    expect(await (await post('chat.postMessage', 'channel=C1&text=hi', form)).json()).toEqual({ ok: false, error: 'not_authed' });
    const auth = { Authorization: `Bearer ${TOKEN}` };
    expect(await (await post('chat.postMessage', 'text=hi', form, auth)).json()).toEqual({ ok: false, error: 'invalid_arguments' });
    expect(await (await post('nope.nothing', '{}', 'application/json', auth)).json()).toEqual({ ok: false, error: 'unknown_method' });
    const viaField = await post('chat.postMessage', JSON.stringify({ token: TOKEN, channel: 'C9', text: 'json' }), 'application/json');
    expect(await viaField.json()).toMatchObject({ ok: true, channel: 'C9' });
    expect(emulator.calls.at(-1)).toMatchObject({ token: TOKEN, args: { channel: 'C9', text: 'json' } });
  });

  it('fails the next call with a Slack platform error', async () => {
    const slack = client();
    emulator.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'hi' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { ok: false, error: 'channel_not_found' },
    });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'hi' })).resolves.toMatchObject({ ok: true });
  });

  it('answers HTTP 5xx when asked', async () => {
    emulator.failNext('chat.postMessage', { status: 503, times: 2 });
    const slack = client();
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'a' })).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'b' })).rejects.toMatchObject({ statusCode: 503 });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'c' })).resolves.toMatchObject({ ok: true });
  });

  it('rate-limits with 429 and Retry-After', async () => {
    emulator.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    const slack = client({ rejectRateLimitedCalls: true });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'hi' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    expect(ErrorCode.RateLimitedError).toBe('slack_webapi_rate_limited_error');

    emulator.failNext('auth.test', { status: 429 });
    const raw = await post('auth.test', '', 'application/x-www-form-urlencoded', { Authorization: `Bearer ${TOKEN}` });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect(await raw.json()).toEqual({ ok: false, error: 'ratelimited' });
  });

  it('lets a retrying client succeed after one 429', async () => {
    emulator.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 0 });
    const slack = client({ retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 10, factor: 1 } });
    await expect(slack.chat.postMessage({ channel: 'C1', text: 'retry me' })).resolves.toMatchObject({ ok: true });
    expect(emulator.callsTo('chat.postMessage')).toHaveLength(2);
  });

  it('records JSON POSTs to a response_url', async () => {
    const url = emulator.responseUrl('abc');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/response\/abc$/);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'Order taken' }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(emulator.callsTo('response_url')).toEqual([
      expect.objectContaining({ method: 'response_url', responseId: 'abc', args: { response_type: 'ephemeral', text: 'Order taken' } }),
    ]);
    expect(emulator.responseUrl()).not.toBe(emulator.responseUrl());
  });

  it('describes calls on one line without the token', async () => {
    await client().chat.postMessage({ channel: 'C1', text: 'Coffee\nrun', blocks: [{ type: 'divider' }] });
    const [call] = emulator.callsTo('chat.postMessage');
    if (!call) throw new Error('no call recorded');
    const line = describeCall(call);
    expect(line).toBe('chat.postMessage channel=C1 "Coffee run" (1 blocks)');
    expect(line).not.toContain(TOKEN);
  });
});
