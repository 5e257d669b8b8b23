import type { SectionBlock } from '@slack/types';
import { ErrorCode, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/logging.ts';
import { createMetrics } from '../../shared/metrics.ts';
import { describeCall, startSlackEmulator, type RecordedCall, type SlackEmulator } from './emulator.ts';
import { createSlackWebApi } from '../../shared/slack/web-api.ts';

const TOKEN = 'xoxb-emulator-secret';

describe('slack emulator', () => {
  let emulator: SlackEmulator;
  const seen: RecordedCall[] = [];

  const client = (options: WebClientOptions = {}): WebClient =>
    new WebClient(TOKEN, { slackApiUrl: emulator.url, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR, ...options });

  const post = (path: string, body: string, contentType: string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, emulator.url), { method: 'POST', body, headers: { 'Content-Type': contentType, ...headers } });
  const postJson = (url: string, body: Record<string, unknown>) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    emulator = await startSlackEmulator({
      users: { U1: { name: 'ada', real_name: 'Ada Lovelace', tz: 'Europe/London', tz_offset: 3600 } },
      onCall: (call) => seen.push(call),
      rateLimitsOff: { reason: 'these tests check each answer with many calls to one channel in a row; the rate limits have tests of their own' },
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

  it('pages users.list by cursor, deactivated accounts included; the port reads every page and lists only people who can be named', async () => {
    for (let i = 0; i < 450; i++) emulator.setUser(`UP${String(i).padStart(3, '0')}`, { name: `p${i}`, ...(i === 7 ? { deleted: true } : {}) });
    const first = await client().users.list({ limit: 200 });
    expect(first.members).toHaveLength(200);
    expect(first.members?.find((m) => m.id === 'UP007')).toMatchObject({ name: 'p7', deleted: true });
    expect(first.response_metadata?.next_cursor).not.toBe('');
    await expect(client().users.list({ cursor: 'bm90IGEgY3Vyc29y' })).rejects.toMatchObject({ data: { error: 'invalid_cursor' } });

    const port = createSlackWebApi({
      token: TOKEN,
      apiUrl: emulator.url,
      timeoutMs: 2000,
      responseUrlPrefixes: [],
      log: silentLogger,
      metrics: createMetrics(),
    });
    const before = emulator.callsTo('users.list').length;
    const members = await port.listMembers();
    expect(members.filter((m) => m.id.startsWith('UP'))).toHaveLength(449);
    expect(members.some((m) => m.id === 'UP007')).toBe(false);
    expect(members.find((m) => m.id === 'U1')).toEqual({ id: 'U1', handle: 'ada', displayName: 'ada', realName: 'Ada Lovelace' });
    // 450 people and the others set up here: three pages of at most 200.
    expect(
      emulator
        .callsTo('users.list')
        .slice(before)
        .map((call) => call.args.limit),
    ).toEqual(['200', '200', '200']);
  });

  it('emulates auth.test, conversations.open, ephemeral messages and views', async () => {
    const slack = client();
    expect(await slack.auth.test()).toMatchObject({ ok: true, user_id: expect.any(String), team_id: expect.any(String) });
    expect((await slack.conversations.open({ users: 'U1' })).channel?.id).toBe('DU1');
    expect((await slack.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'psst' })).message_ts).toBeTruthy();
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Order' }, blocks: [] };
    const opened = await slack.views.open({ trigger_id: emulator.issueTrigger(), view });
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

  it('keeps ephemeral messages for their user until a response_url replaces or deletes them', async () => {
    const slack = client();
    const posted = await slack.chat.postEphemeral({ channel: 'C5', user: 'U1', text: 'psst', blocks: [{ type: 'divider' }] });
    expect(emulator.ephemerals('C5')).toEqual([
      expect.objectContaining({ channel: 'C5', user: 'U1', ts: posted.message_ts, text: 'psst', blocks: [{ type: 'divider' }], edits: 0 }),
    ]);
    // The SDK's types require `text`; this call leaves it out to see the emulator refuse it.
    await expect(slack.chat.postEphemeral({ channel: 'C5', user: 'U1' } as never)).rejects.toMatchObject({ data: { error: 'no_text' } });

    const target = { channel: 'C5', user: 'U1', messageTs: posted.message_ts!, ephemeral: true };
    const replace = emulator.responseUrl('eph-replace', target);
    await postJson(replace, { replace_original: true, text: 'replaced' });
    expect(emulator.ephemerals('C5')).toEqual([expect.objectContaining({ ts: posted.message_ts, text: 'replaced', edits: 1 })]);
    expect(emulator.ephemerals('C5')[0]).not.toHaveProperty('blocks');
    await postJson(replace, { delete_original: true });
    expect(emulator.ephemerals('C5')).toEqual([]);
  });

  it('applies response_url posts to their target as Slack does', async () => {
    const slack = client();
    const source = await slack.chat.postMessage({ channel: 'C7', text: 'run message', blocks: [{ type: 'divider' }] });
    const target = { channel: 'C7', user: 'U1', messageTs: source.ts! };
    const changes: string[] = [];
    const unsubscribe = emulator.subscribe(({ call }) => changes.push(call.method));

    await postJson(emulator.responseUrl('default', target), { text: 'only you see this' });
    expect(emulator.ephemerals('C7')).toEqual([expect.objectContaining({ user: 'U1', text: 'only you see this' })]);
    await postJson(emulator.responseUrl('loud', target), { response_type: 'in_channel', text: 'everyone sees this' });
    expect(emulator.messages('C7').map((m) => m.text)).toEqual(['run message', 'everyone sees this']);
    await postJson(emulator.responseUrl('edit', target), { replace_original: true, text: 'run message (closed)' });
    expect(emulator.messages('C7')[0]).toMatchObject({ ts: source.ts, text: 'run message (closed)', edits: 1 });
    expect(emulator.messages('C7')[0]).not.toHaveProperty('blocks');
    await postJson(emulator.responseUrl('gone', target), { delete_original: true });
    expect(emulator.messages('C7').map((m) => m.text)).toEqual(['everyone sees this']);

    expect(emulator.deliver({ channel: 'C7', user: 'U1' }, { text: 'a slash command answer' })).toEqual([]);
    expect(emulator.ephemerals('C7').map((e) => e.text)).toEqual(['only you see this', 'a slash command answer']);
    unsubscribe();
    await slack.chat.postMessage({ channel: 'C7', text: 'unheard' });
    expect(changes).toEqual(['response_url', 'response_url', 'response_url', 'response_url']);
  });

  it('stores views: open and push with their trigger, update by view_id or external_id, not_found otherwise', async () => {
    const slack = client();
    const changes: string[] = [];
    const unsubscribe = emulator.subscribe(({ call, answer }) => changes.push(`${call.method}:${String((answer.view as { id?: string } | undefined)?.id)}`));
    const view = (title: string) => ({ type: 'modal' as const, title: { type: 'plain_text' as const, text: title }, blocks: [] });
    const [first, second] = [emulator.issueTrigger(), emulator.issueTrigger()];
    const opened = await slack.views.open({ trigger_id: first, view: { ...view('Order'), external_id: 'order-1' } });
    const pushed = await slack.views.push({ trigger_id: second, view: view('Details') });
    expect(emulator.views().filter((v) => v.triggerId === first || v.triggerId === second)).toEqual([
      expect.objectContaining({ id: opened.view?.id, triggerId: first, view: expect.objectContaining({ title: view('Order').title }) }),
      expect.objectContaining({ id: pushed.view?.id, triggerId: second }),
    ]);
    const byExternalId = await slack.views.update({ external_id: 'order-1', view: view('Order (edited)') });
    expect(byExternalId.view?.id).toBe(opened.view?.id);
    expect(emulator.views().find((v) => v.id === opened.view?.id)?.view.title).toEqual(view('Order (edited)').title);
    await expect(slack.views.update({ view_id: 'V404', view: view('Nope') })).rejects.toMatchObject({ data: { ok: false, error: 'not_found' } });

    const put = emulator.putView(view('Thanks'), opened.view?.id);
    expect(put).toEqual({ view: expect.objectContaining({ id: opened.view?.id, title: view('Thanks').title }) });
    expect(emulator.putView({ ...view('A title too long for Slack'), blocks: [] })).toEqual({
      violations: ['[ERROR] must be at most 24 characters, got 26 [json-pointer:/view/title/text]'],
    });
    unsubscribe();
    expect(changes).toEqual([`views.open:${opened.view?.id}`, `views.push:${pushed.view?.id}`, `views.update:${opened.view?.id}`]);
  });

  it('refuses messages that break Block Kit limits with invalid_blocks, and records why', async () => {
    const slack = client();
    const refused: string[][] = [];
    const unsubscribe = emulator.subscribe(({ call }) => void (call.violations && refused.push(call.violations)));
    const section = (text: string): SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const button = (text: string, value = 'v', actionId = 'a') => ({ type: 'button', text: { type: 'plain_text', text }, value, action_id: actionId });
    const cases: [unknown[], string][] = [
      [Array.from({ length: 51 }, () => ({ type: 'divider' })), 'must have at most 50 blocks, got 51 [json-pointer:/blocks]'],
      [[section('x'.repeat(3001))], 'must be at most 3000 characters, got 3001 [json-pointer:/blocks/0/text/text]'],
      [
        [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) }],
        'must have at most 10 fields, got 11 [json-pointer:/blocks/0/fields]',
      ],
      [
        [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2001) }] }],
        'must be at most 2000 characters, got 2001 [json-pointer:/blocks/0/fields/0/text]',
      ],
      [[{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }], 'must be at most 150 characters, got 151 [json-pointer:/blocks/0/text/text]'],
      [
        [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button('b', 'v', `a${i}`)) }],
        'must have at most 25 elements, got 26 [json-pointer:/blocks/0/elements]',
      ],
      [
        [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) }],
        'must have at most 10 elements, got 11 [json-pointer:/blocks/0/elements]',
      ],
      [[{ type: 'actions', elements: [button('t'.repeat(76))] }], 'must be at most 75 characters, got 76 [json-pointer:/blocks/0/elements/0/text/text]'],
      [
        [{ type: 'actions', elements: [button('ok', 'v'.repeat(2001))] }],
        'must be at most 2000 characters, got 2001 [json-pointer:/blocks/0/elements/0/value]',
      ],
      [
        [{ type: 'actions', elements: [button('ok', 'v', 'a'.repeat(256))] }],
        'must be at most 255 characters, got 256 [json-pointer:/blocks/0/elements/0/action_id]',
      ],
      [[{ type: 'divider', block_id: 'b'.repeat(256) }], 'must be at most 255 characters, got 256 [json-pointer:/blocks/0/block_id]'],
      [
        [
          { type: 'divider', block_id: 'same' },
          { type: 'divider', block_id: 'same' },
        ],
        'block_id "same" is used twice [json-pointer:/blocks/1/block_id]',
      ],
      [
        [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: 'pick' },
            accessory: {
              type: 'static_select',
              action_id: 's',
              options: Array.from({ length: 101 }, (_, i) => ({ text: { type: 'plain_text', text: `o${i}` }, value: `${i}` })),
            },
          },
        ],
        'must have at most 100 options, got 101 [json-pointer:/blocks/0/accessory/options]',
      ],
      [
        [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: 'pick' },
            accessory: { type: 'static_select', action_id: 's', options: [{ text: { type: 'plain_text', text: 'o'.repeat(76) }, value: 'v' }] },
          },
        ],
        'must be at most 75 characters, got 76 [json-pointer:/blocks/0/accessory/options/0/text/text]',
      ],
    ];
    for (const [blocks, problem] of cases) {
      const answer = await (
        await post('chat.postMessage', JSON.stringify({ channel: 'C8', text: 'x', blocks }), 'application/json', { Authorization: `Bearer ${TOKEN}` })
      ).json();
      expect(answer).toEqual({ ok: false, error: 'invalid_blocks', errors: [`[ERROR] ${problem}`], response_metadata: { messages: [`[ERROR] ${problem}`] } });
    }
    expect(emulator.messages('C8')).toEqual([]);
    expect(refused).toEqual(cases.map(([, problem]) => [`[ERROR] ${problem}`]));
    expect(emulator.callsTo('chat.postMessage').every((call) => call.violations?.length === 1)).toBe(true);

    await expect(slack.chat.postEphemeral({ channel: 'C8', user: 'U1', text: 'x', blocks: [section('x'.repeat(3001))] })).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
    const posted = await slack.chat.postMessage({ channel: 'C8', text: 'fine', blocks: [section('fine')] });
    await expect(slack.chat.update({ channel: 'C8', ts: posted.ts!, text: 'x', blocks: [section('x'.repeat(3001))] })).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
    expect(emulator.messages('C8')[0]).toMatchObject({ text: 'fine', edits: 0 });
    const tooLong = await postJson(emulator.responseUrl('too-long', { channel: 'C8', user: 'U1' }), { blocks: [section('x'.repeat(3001))] });
    expect(tooLong.status).toBe(400);
    expect(emulator.ephemerals('C8')).toEqual([]);
    unsubscribe();
  });

  it('refuses views that break modal limits with invalid_arguments', async () => {
    const input = { type: 'input', block_id: 'drink', label: { type: 'plain_text', text: 'Drink' }, element: { type: 'plain_text_input', action_id: 'value' } };
    const modal = { type: 'modal', title: { type: 'plain_text', text: 'Order' }, submit: { type: 'plain_text', text: 'Send' }, blocks: [input] };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...modal, title: { type: 'plain_text', text: 't'.repeat(25) } }, 'must be at most 24 characters, got 25 [json-pointer:/view/title/text]'],
      [{ ...modal, submit: { type: 'plain_text', text: 's'.repeat(25) } }, 'must be at most 24 characters, got 25 [json-pointer:/view/submit/text]'],
      [{ ...modal, close: { type: 'plain_text', text: 'c'.repeat(25) } }, 'must be at most 24 characters, got 25 [json-pointer:/view/close/text]'],
      [{ ...modal, private_metadata: 'm'.repeat(3001) }, 'must be at most 3000 characters, got 3001 [json-pointer:/view/private_metadata]'],
      [{ ...modal, callback_id: 'c'.repeat(256) }, 'must be at most 255 characters, got 256 [json-pointer:/view/callback_id]'],
      [{ ...modal, blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) }, 'must have at most 100 blocks, got 101 [json-pointer:/view/blocks]'],
      [{ type: 'modal', title: modal.title, blocks: [input] }, 'a modal with input blocks needs a submit button [json-pointer:/view/submit]'],
    ];
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const t = emulator.issueTrigger();
    for (const [view, problem] of cases) {
      const answer = await (await post('views.open', JSON.stringify({ trigger_id: t, view }), 'application/json', auth)).json();
      expect(answer).toEqual({ ok: false, error: 'invalid_arguments', response_metadata: { messages: [`[ERROR] ${problem}`] } });
    }
    expect(emulator.views().some((v) => v.triggerId === t)).toBe(false);
    const fine = await (
      await post(
        'views.open',
        JSON.stringify({ trigger_id: t, view: { ...modal, blocks: Array.from({ length: 100 }, () => ({ type: 'divider' })) } }),
        'application/json',
        auth,
      )
    ).json();
    // A refused view leaves the trigger unspent, so the corrected view opens with it.
    expect(fine).toMatchObject({ ok: true });
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

describe('slack emulator, as strict as Slack', () => {
  let emulator: SlackEmulator;
  let unlimited: SlackEmulator;
  let clock = new Date('2026-03-02T09:00:00Z');
  const moveClock = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const client = (on: SlackEmulator = emulator) =>
    new WebClient(TOKEN, { slackApiUrl: on.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
  const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Order' }, blocks: [] };
  const postJson = (url: string, body: Record<string, unknown>) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    emulator = await startSlackEmulator({ now: () => clock });
    unlimited = await startSlackEmulator({ now: () => clock, rateLimitsOff: { reason: 'this test checks that the switch works' } });
  });
  afterAll(async () => {
    await emulator.close();
    await unlimited.close();
  });

  it('takes a trigger_id once within 3 s of its issue: exchanged_trigger_id, expired_trigger_id, invalid_trigger_id otherwise', async () => {
    const slack = client();
    const trigger = emulator.issueTrigger();
    expect(trigger).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    moveClock(3000);
    await expect(slack.views.open({ trigger_id: trigger, view })).resolves.toMatchObject({ ok: true });
    await expect(slack.views.push({ trigger_id: trigger, view })).rejects.toMatchObject({ data: { error: 'exchanged_trigger_id' } });

    const late = emulator.issueTrigger();
    moveClock(3001);
    await expect(slack.views.open({ trigger_id: late, view })).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
    await expect(slack.views.open({ trigger_id: '123.456.made-up', view })).rejects.toMatchObject({ data: { error: 'invalid_trigger_id' } });
  });

  it('takes 5 messages at a response_url within 30 minutes: used_url, then expired_url, no_service for a URL never issued', async () => {
    const url = emulator.responseUrl('five', { channel: 'C1', user: 'U1' });
    for (let i = 0; i < 5; i++) expect((await postJson(url, { text: `answer ${i}` })).status).toBe(200);
    const sixth = await postJson(url, { text: 'one too many' });
    expect([sixth.status, await sixth.text()]).toEqual([404, 'used_url']);
    expect(emulator.ephemerals('C1')).toHaveLength(5);

    const old = emulator.responseUrl('old', { channel: 'C1', user: 'U1' });
    moveClock(30 * 60 * 1000 + 1);
    const expired = await postJson(old, { text: 'too late' });
    expect([expired.status, await expired.text()]).toEqual([404, 'expired_url']);
    const unknown = await postJson(url.replace('/five', '/never-issued'), { text: 'who?' });
    expect([unknown.status, await unknown.text()]).toEqual([404, 'no_service']);
  });

  it('rate-limits each method by its tier with 429 and Retry-After, a minute of calls in a burst', async () => {
    moveClock(60_000);
    const slack = client();
    const posted = await slack.chat.postMessage({ channel: 'CTIER', text: 'run' });
    // chat.update is Tier 3: 50 a minute.
    for (let i = 0; i < 50; i++) await slack.chat.update({ channel: 'CTIER', ts: posted.ts!, text: `edit ${i}` });
    await expect(slack.chat.update({ channel: 'CTIER', ts: posted.ts!, text: 'one more' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 2,
    });
    // Other methods have buckets of their own.
    await expect(slack.chat.postEphemeral({ channel: 'CTIER', user: 'U1', text: 'psst' })).resolves.toMatchObject({ ok: true });
    moveClock(2000);
    await expect(slack.chat.update({ channel: 'CTIER', ts: posted.ts!, text: 'after the wait' })).resolves.toMatchObject({ ok: true });
  });

  it('lets chat.postMessage post about one message a second per channel, after a short burst', async () => {
    moveClock(60_000);
    const slack = client();
    for (let i = 0; i < 5; i++) await slack.chat.postMessage({ channel: 'CBURST', text: `burst ${i}` });
    await expect(slack.chat.postMessage({ channel: 'CBURST', text: 'sixth' })).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 1 });
    await expect(slack.chat.postMessage({ channel: 'COTHER', text: 'another channel' })).resolves.toMatchObject({ ok: true });
    moveClock(1000);
    await expect(slack.chat.postMessage({ channel: 'CBURST', text: 'a second later' })).resolves.toMatchObject({ ok: true });

    const free = client(unlimited);
    for (let i = 0; i < 10; i++) await free.chat.postMessage({ channel: 'CBURST', text: `unlimited ${i}` });
    expect(unlimited.messages('CBURST')).toHaveLength(10);
  });

  it('lists history between oldest and latest, both exclusive unless inclusive=true', async () => {
    moveClock(60_000);
    const slack = client(unlimited);
    const ts: string[] = [];
    for (const text of ['a', 'b', 'c']) ts.push((await slack.chat.postMessage({ channel: 'CHIST', text })).ts!);
    const texts = async (args: { oldest?: string; latest?: string; inclusive?: boolean }) =>
      ((await slack.conversations.history({ channel: 'CHIST', ...args })).messages ?? []).map((m) => m.text);
    expect(await texts({ oldest: ts[0], latest: ts[2] })).toEqual(['b']);
    expect(await texts({ oldest: ts[0], latest: ts[2], inclusive: true })).toEqual(['c', 'b', 'a']);
    expect(await texts({ oldest: ts[1] })).toEqual(['c']);

    const parent = ts[0]!;
    const reply = (await slack.chat.postMessage({ channel: 'CHIST', text: 'reply', thread_ts: parent })).ts!;
    const replies = async (inclusive: boolean) =>
      ((await slack.conversations.replies({ channel: 'CHIST', ts: parent, oldest: reply, inclusive })).messages ?? []).map((m) => m.text);
    expect(await replies(false)).toEqual(['a']);
    expect(await replies(true)).toEqual(['a', 'reply']);
  });

  it('refuses chat.update of a message that does not exist (message_not_found) or that a person wrote (cant_update_message)', async () => {
    const slack = client(unlimited);
    await expect(slack.chat.update({ channel: 'CUPD', ts: '1.000000', text: 'x' })).rejects.toMatchObject({ data: { error: 'message_not_found' } });
    const theirs = unlimited.say('CUPD', 'U1', 'my own words');
    await expect(slack.chat.update({ channel: 'CUPD', ts: theirs, text: 'x' })).rejects.toMatchObject({ data: { error: 'cant_update_message' } });
    await expect(slack.chat.delete({ channel: 'CUPD', ts: theirs })).rejects.toMatchObject({ data: { error: 'cant_delete_message' } });
    const [shown] = (await slack.conversations.history({ channel: 'CUPD' })).messages ?? [];
    expect(shown).toMatchObject({ user: 'U1', text: 'my own words' });
    expect(shown).not.toHaveProperty('bot_id');
  });
});
