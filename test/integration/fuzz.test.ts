import { request as httpRequest, Agent } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import type { EventType } from '../../shared/events/catalog.ts';
import { startLocalIssuer, type LocalIssuer } from '../../scripts/local/local-issuer.ts';
import { eventPath, type FunctionName } from '../../shared/function.ts';
import { createLogger } from '../../shared/logging.ts';
import { signSlackRequest } from '../../shared/slack/verify-request.ts';
import { startTestStack, testSigningSecret, type TestStack } from '../support/harness.ts';

/**
 * Issue 8: malformed input gets a 4xx (or a clear 200), never a 5xx and never an error log. Every
 * request is generated up front by fast-check from a fixed seed, so a failure reproduces exactly;
 * the failure message lists the offending requests by index.
 */
const seed = 20_261_123;
const slackRequests = 10_000;
const cloudEvents = 1_500;
const concurrency = 20;
const morning = new Date('2026-11-23T08:00:00Z');

interface FuzzRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Sign it as Slack would (`/slack/*`), at the stack's clock. */
  signed: boolean;
  /** The bearer token of an internal endpoint's request: mostly valid, sometimes not (then 401, and nothing else). */
  token?: TokenKind;
}

type TokenKind = 'valid' | 'missing' | 'garbage' | 'expired' | 'wrong_audience' | 'foreign_key';
const tokenKind: fc.Arbitrary<TokenKind> = fc.oneof(
  { weight: 20, arbitrary: fc.constant<TokenKind>('valid') },
  { weight: 5, arbitrary: fc.constantFrom<TokenKind>('missing', 'garbage', 'expired', 'wrong_audience', 'foreign_key') },
);

// ---------- strings that have broken things before ----------

const edgeStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\ude00x',
  '\ud800\ud800',
  '\ufffe',
  '\uffff',
  '\u{10ffff}',
  '\u202e',
  '\ufeff',
  '\u0085',
  '\r\n',
  '\t',
  '%00',
  '%',
  '%ZZ',
  '<!channel>',
  '<@U0001>',
  '&amp;',
  '"',
  "'",
  '\\',
  '{}',
  '[]',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '__proto__',
  'constructor',
  '-'.repeat(36),
  '00000000-0000-0000-0000-000000000000',
  'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
  'help',
  'history',
  'history 0',
  'history 99999',
  'history x',
  'stats',
  'close',
  'cancel',
  'admin',
  '10:30',
  '25:61 x',
  'in 0m',
  'in 999h',
  '2pm Lobby',
  `in 15m ${'n'.repeat(300)}`,
  'e\u0301\u0301\u0301',
  '👩‍👩‍👧‍👦',
];
const huge = fc.tuple(fc.constantFrom('x', '\u0000', 'é', '😀', '\ud800', '-'), fc.integer({ min: 256, max: 4000 })).map(([unit, times]) => unit.repeat(times));
/** Long text that does not compress: what overflows a btree index entry (~2.7 KB), where 'x' × 3200 would not. */
const noise = fc.tuple(fc.integer(), fc.integer({ min: 1000, max: 3500 })).map(([start, length]) => {
  let state = start >>> 0;
  let text = '';
  while (text.length < length) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    text += state.toString(36);
  }
  return text.slice(0, length);
});
const nasty: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...edgeStrings) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: noise },
);
/** Anything JSON can carry, for "wrong type" mutations. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(nasty, fc.jsonValue({ maxDepth: 3 }), fc.integer(), fc.boolean(), fc.constant(null));

/** Replace (or delete, when the replacement is undefined) up to two leaves or branches of `base`. */
function mutated<T>(base: fc.Arbitrary<T>, replacement: fc.Arbitrary<unknown>): fc.Arbitrary<T> {
  return fc.tuple(base, fc.array(fc.tuple(fc.nat(), fc.option(replacement, { nil: undefined })), { maxLength: 2 })).map(([value, edits]) => {
    const copy = structuredClone(value) as unknown;
    for (const [pick, next] of edits) {
      const paths = pathsOf(copy);
      const path = paths[pick % Math.max(paths.length, 1)];
      if (path) setPath(copy, path, next);
    }
    return copy as T;
  });
}

function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

function setPath(root: unknown, path: string[], value: unknown): void {
  let node = root as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

// ---------- Slack: /slack/commands and /slack/interactions ----------

const channel = fc.oneof(
  fc.constantFrom('C0001', 'CFUZZ', 'D0001'),
  fc.nat(400).map((n) => `CF${n}`),
);
const user = fc.constantFrom('U0001', 'UFUZZ', 'W0001');
// Never a real host: a block action without a channel is answered at its response_url.
/**
 * Stands for the Slack emulator's response_url (known once the stack runs; swapped in before
 * signing), so a reply that misses the ack deadline lands there instead of failing and logging.
 */
const responseUrlPlaceholder = 'http://response-url.invalid/r';
const localResponseUrl = fc.constantFrom(responseUrlPlaceholder, responseUrlPlaceholder, responseUrlPlaceholder, 'not a url', 'ftp://127.0.0.1:9/x');

const commandFields = fc.record({
  token: fc.constant('legacy-verification-token'),
  team_id: fc.constant('T0001'),
  channel_id: channel,
  channel_name: fc.constant('coffee'),
  user_id: user,
  user_name: fc.constant('ana'),
  command: fc.constant('/coffee'),
  // A leading time or subcommand gets the rest past the parser, to the database.
  text: fc.tuple(fc.constantFrom('', '10:30 ', 'in 15m ', '2pm ', 'help ', 'history ', 'close ', 'cancel '), nasty).map(([lead, rest]) => lead + rest),
  response_url: fc.constant(responseUrlPlaceholder),
  trigger_id: fc.constant('123.456.abc'),
});
const formBody = (fields: Record<string, unknown>) =>
  new URLSearchParams(Object.entries(fields).flatMap(([key, value]): [string, string][] => (value === undefined ? [] : [[key, String(value)]]))).toString();

const commandBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 6, arbitrary: mutated(commandFields, nasty).map(formBody) },
  { weight: 1, arbitrary: fc.dictionary(nasty, nasty, { maxKeys: 8 }).map(formBody) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constantFrom('ssl_check=1&token=x', 'ssl_check=0', 'ssl_check=1&command=%2Fcoffee&text=10%3A30', '', '&&&', '=', 'text=%') },
);

const actionIds = ['order.open', 'order.reuse_last', 'order.withdraw', 'run.close', 'run.volunteer', 'run.cancel', 'runner.done', 'runner.decline', 'other'];
const blockActions = fc.record({
  type: fc.constant('block_actions'),
  user: fc.record({ id: user, team_id: fc.constant('T0001') }),
  team: fc.record({ id: fc.constant('T0001') }),
  channel: fc.record({ id: channel }),
  trigger_id: fc.constant('trigger-fuzz'),
  response_url: localResponseUrl,
  actions: fc.tuple(
    fc.record({
      action_id: fc.constantFrom(...actionIds),
      block_id: fc.constant('run.actions'),
      value: fc.oneof(fc.uuid(), nasty),
      type: fc.constant('button'),
    }),
  ),
});
const modalMetadata = mutated(fc.record({ runId: fc.uuid(), channelId: channel, usuals: fc.constant([] as unknown[]) }), anyJson).map((m) => JSON.stringify(m));
const viewSubmission = fc.record({
  type: fc.constant('view_submission'),
  user: fc.record({ id: user }),
  team: fc.constant(null),
  view: fc.record({
    id: fc.constant('V1'),
    callback_id: fc.constantFrom('order.submit', 'other'),
    private_metadata: fc.oneof(modalMetadata, nasty),
    state: fc.record({
      values: fc.record({
        usual: fc.record({
          value: fc.record({ type: fc.constant('radio_buttons'), selected_option: fc.record({ value: fc.oneof(fc.constantFrom('0', '1', '-1', ''), nasty) }) }),
        }),
        drink: fc.record({
          value: fc.record({ type: fc.constant('static_select'), selected_option: fc.record({ value: fc.oneof(fc.constantFrom('Latte', 'Mocha'), nasty) }) }),
        }),
        size: fc.record({
          value: fc.record({ type: fc.constant('static_select'), selected_option: fc.record({ value: fc.constantFrom('Small', 'Large', 'Venti') }) }),
        }),
        customizations: fc.record({ value: fc.record({ type: fc.constant('plain_text_input'), value: nasty }) }),
        free_text: fc.record({ value: fc.record({ type: fc.constant('plain_text_input'), value: fc.option(nasty, { nil: null }) }) }),
      }),
    }),
  }),
});
const otherPayload = fc.record({
  type: fc.oneof(fc.constantFrom('view_closed', 'shortcut', 'block_suggestion', 'message_action'), nasty),
  user: fc.record({ id: user }),
});
const interactionJson = fc.oneof(
  { weight: 4, arbitrary: mutated(blockActions, anyJson) },
  { weight: 4, arbitrary: mutated(viewSubmission, anyJson) },
  { weight: 1, arbitrary: mutated(otherPayload, anyJson) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);
const interactionBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 8, arbitrary: interactionJson.map((payload) => formBody({ payload: JSON.stringify(payload) })) },
  { weight: 1, arbitrary: nasty.map((payload) => formBody({ payload })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constantFrom('', 'payload=', 'ssl_check=1', 'payload=%7B', 'payload=null', 'payload=%5B%5D', 'payload=1') },
);

const slackRequest: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    commandBody.map((body) => ({ path: '/slack/commands', body })),
    interactionBody.map((body) => ({ path: '/slack/interactions', body })),
  )
  .map(({ path, body }) => ({
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    signed: true,
  }));

// ---------- CloudEvents to each consuming function ----------

const consumers = registry.filter((fn) => Object.keys(fn.consumes).length > 0).map((fn) => eventPath(fn.name));
const iso = fc.constantFrom('2026-11-23T08:00:00.000Z', '2026-11-23T09:30:00Z');
const validData: Partial<Record<EventType, fc.Arbitrary<Record<string, unknown>>>> = {
  'com.coffeebuddy.run.close_requested': fc.record({ runId: fc.uuid(), slackChannelId: channel, requestedBySlackUserId: user }),
  'com.coffeebuddy.run.closed': fc.record({
    runId: fc.uuid(),
    slackChannelId: channel,
    participantSlackUserIds: fc.array(user, { maxLength: 3 }),
    closedAt: iso,
  }),
  'com.coffeebuddy.runner.declined': fc.record({ runId: fc.uuid(), slackChannelId: channel, slackUserId: user }),
  'com.coffeebuddy.runner.assigned': fc.record({
    runId: fc.uuid(),
    slackChannelId: channel,
    runnerSlackUserId: fc.option(user, { nil: null }),
    replacesSlackUserId: fc.constant(null),
    rule: fc.constant('fewest_served'),
    explanation: fc.string(),
  }),
  'com.coffeebuddy.run.completed': fc.record({ runId: fc.uuid(), slackChannelId: channel, runnerSlackUserId: user, completedAt: iso }),
  'com.coffeebuddy.run.canceled': fc.record({
    runId: fc.uuid(),
    slackChannelId: channel,
    canceledBySlackUserId: user,
    previousStatus: fc.constantFrom('open', 'closed'),
  }),
  'com.coffeebuddy.run.failed': fc.record({ runId: fc.uuid(), slackChannelId: channel, reason: fc.string({ minLength: 1 }) }),
};
const typedData = fc.constantFrom(...(Object.keys(validData) as EventType[])).chain((type) => fc.tuple(fc.constant(type), validData[type]!));
const attributes = typedData.chain(([type, data]) =>
  fc.record({
    specversion: fc.constant<unknown>('1.0'),
    id: fc.uuid().map<unknown>((id) => id),
    source: fc.constantFrom<unknown>('interaction', '/apis/v1/namespaces/coffee/kafkasources/run-events#coffeebuddy.run.events'),
    type: fc.constant<unknown>(type),
    subject: fc.constant<unknown>(String(data.runId)),
    time: iso.map<unknown>((time) => time),
    correlationid: fc.constant<unknown>(String(data.runId)),
    partitionkey: fc.constant<unknown>(String(data.slackChannelId)),
    traceparent: fc.constant<unknown>('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
    data: fc.constant<unknown>(data),
  }),
);
const attributeValue = fc.oneof(
  anyJson,
  fc.constantFrom('0.3', '1.1', 'yesterday', '2026-02-30T00:00:00Z', '2026-11-23T08:00:00', 'x'.repeat(3200), 'dev.knative.kafka.event'),
);
const extensionName = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...'abcxyz019'), minLength: 1, maxLength: 24 }) },
  { weight: 1, arbitrary: fc.constantFrom('data', 'emit', 'validate', 'schemaurl', 'knativekafkaoffset', 'a'.repeat(80)) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'abcxyz019_-.ABC'), minLength: 1, maxLength: 24 }) },
);
const extensions = fc.option(fc.dictionary(extensionName, attributeValue, { minKeys: 1, maxKeys: 2 }), { nil: {}, freq: 2 });
/** One attribute (or data field) set to one hostile value, the rest valid: gets past the other checks. */
const targeted = fc
  .tuple(
    attributes,
    fc.constantFrom(
      'specversion',
      'id',
      'source',
      'type',
      'subject',
      'time',
      'dataschema',
      'correlationid',
      'partitionkey',
      'traceparent',
      'comexample',
      'data.runId',
      'data.slackChannelId',
    ),
    fc.oneof(noise, huge, nasty, anyJson),
  )
  .map(([attrs, name, value]) => {
    const copy = structuredClone(attrs) as Record<string, unknown>;
    setPath(copy, name.split('.'), value);
    return copy;
  });
const event = fc.oneof(
  fc.tuple(mutated(attributes, attributeValue), extensions).map(([attrs, extra]) => ({ ...extra, ...attrs })),
  targeted,
);

/** Printable ASCII stays, the rest is percent-encoded as UTF-8 (lone surrogates become U+FFFD). */
const percentEncode = (value: string) =>
  [...value]
    .map((char) => (/[\x21-\x24\x26-\x7e]/.test(char) ? char : [...Buffer.from(char)].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('')))
    .join('');
/** What a sloppy sender puts in a header: raw Latin-1 where Node lets it, percent-encoding where it must. */
const sloppy = (value: string) => [...value].map((char) => (/[\x20-\x7e\x80-\xff]/.test(char) ? char : percentEncode(char))).join('');
const headerText = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

const binaryEvent = fc
  .tuple(
    event,
    fc.constantFrom(percentEncode, sloppy),
    fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', undefined),
    fc.oneof(fc.constant(undefined), nasty),
  )
  .map(([attrs, encode, contentType, bodyOverride]): Omit<FuzzRequest, 'path'> => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(attrs)) {
      if (name === 'data' || value === undefined || !/^[\w.-]+$/.test(name)) continue;
      // Keep every header under ~4 KB so the request stays under Node's 16 KB header limit.
      headers[`ce-${name}`] = encode(headerText(value)).slice(0, 4000);
    }
    if (contentType) headers['content-type'] = contentType;
    const body = bodyOverride ?? (attrs.data === undefined ? '' : JSON.stringify(attrs.data));
    return { headers, body: Buffer.from(body), signed: false };
  });
const structuredEvent = fc
  .tuple(
    event,
    fc.constantFrom(
      'application/cloudevents+json',
      'application/cloudevents+json; charset=UTF-8',
      'application/cloudevents-batch+json',
      'application/cloudevents+xml',
    ),
  )
  .map(
    ([attrs, contentType]): Omit<FuzzRequest, 'path'> => ({
      headers: { 'content-type': contentType },
      body: Buffer.from(JSON.stringify(attrs)),
      signed: false,
    }),
  );
const rawEvent = fc
  .tuple(
    fc.constantFrom('application/cloudevents+json', 'application/json'),
    fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.json().map((j) => Buffer.from(j)),
    ),
  )
  .map(([contentType, body]): Omit<FuzzRequest, 'path'> => ({ headers: { 'content-type': contentType, 'ce-id': '1' }, body, signed: false }));
const eventRequest: fc.Arbitrary<FuzzRequest> = fc
  .tuple(
    fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...consumers) }, { weight: 1, arbitrary: fc.constant('/sweep') }),
    fc.oneof({ weight: 5, arbitrary: binaryEvent }, { weight: 4, arbitrary: structuredEvent }, { weight: 1, arbitrary: rawEvent }),
    tokenKind,
  )
  .map(([path, requestParts, token]) => ({ path, ...requestParts, token }));

// ---------- sending ----------

interface Answer {
  status: number;
  body: string;
}

/** The body with every (form- or JSON-in-form-encoded) placeholder response_url replaced by `url`. */
function withResponseUrl(body: Buffer, url: string): Buffer {
  const placeholder = Buffer.from(encodeURIComponent(responseUrlPlaceholder));
  const parts: Buffer[] = [];
  let rest = body;
  for (let at = rest.indexOf(placeholder); at >= 0; at = rest.indexOf(placeholder)) {
    parts.push(rest.subarray(0, at), Buffer.from(encodeURIComponent(url)));
    rest = rest.subarray(at + placeholder.length);
  }
  return parts.length === 0 ? body : Buffer.concat([...parts, rest]);
}

function send(base: URL, agent: Agent, fuzz: FuzzRequest, now: Date, authorization: string | undefined): Promise<Answer> {
  const headers: Record<string, string> = { ...fuzz.headers, 'content-length': String(fuzz.body.length) };
  if (authorization !== undefined) headers.authorization = authorization;
  if (fuzz.signed) {
    const timestamp = String(Math.floor(now.getTime() / 1000));
    headers['x-slack-request-timestamp'] = timestamp;
    headers['x-slack-signature'] = signSlackRequest(testSigningSecret, timestamp, fuzz.body);
  }
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: base.hostname, port: base.port, path: fuzz.path, method: 'POST', headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(fuzz.body);
  });
}

describe('fuzz: malformed requests never get a 5xx', () => {
  let stack: TestStack;
  /** An issuer the stack does not trust, whose tokens claim to be from the trusted one. */
  let impostor: LocalIssuer;
  const errorLines: string[] = [];

  beforeAll(async () => {
    const log = createLogger({ level: 'error', write: (line) => errorLines.push(line) });
    stack = await startTestStack({
      functions: registry,
      now: morning,
      log,
      users: { U0001: { name: 'ana', tz: 'Europe/Berlin' } },
      slackRateLimitsOff: { reason: 'thousands of random requests a minute from one user: the fuzz checks what the bot answers, not how it waits out Slack' },
    });
    impostor = await startLocalIssuer({ now: () => stack.clock.now });
  });
  afterAll(async () => {
    await stack.close();
    await impostor.close();
  });

  /** The `Authorization` header for a request's token kind (the sweep takes any function's audience). */
  async function authorizationFor(fuzz: FuzzRequest, index: number): Promise<string | undefined> {
    if (!fuzz.token || fuzz.token === 'missing') return undefined;
    const issuer = stack.issuer!;
    const fn = (fuzz.path === '/sweep' ? 'admin' : fuzz.path.slice('/events/'.length)) as FunctionName;
    const audience = `coffeebuddy-${fn}`;
    const valid = await issuer.token(audience);
    switch (fuzz.token) {
      case 'valid':
        return `Bearer ${valid}`;
      case 'expired':
        return `Bearer ${await issuer.mint({ audience, issuedAt: new Date(stack.clock.now.getTime() - 7200_000), expiresInSeconds: 3600 })}`;
      case 'wrong_audience':
        // Another function's audience; the sweep takes every function's in this one process.
        return `Bearer ${await issuer.token(fuzz.path === '/sweep' ? 'coffeebuddy-billing' : fn === 'close-run' ? 'coffeebuddy-fairness-assign' : 'coffeebuddy-close-run')}`;
      case 'foreign_key':
        return `Bearer ${await impostor.mint({ audience, issuer: issuer.url })}`;
      case 'garbage': {
        const [header, payload, signature] = valid.split('.') as [string, string, string];
        const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
        const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
        const choices = [
          'Bearer',
          'Bearer ',
          'Bearer x.y.z',
          `Basic ${valid}`,
          valid,
          `Bearer ${valid}.x`,
          `Bearer ${none}`,
          `Bearer ${flipped}`,
          `Bearer ${'a'.repeat(9000)}`,
          'Bearer \u00e9',
        ];
        return choices[index % choices.length];
      }
    }
  }

  it(`answers ${slackRequests} signed malformed Slack requests and ${cloudEvents} malformed CloudEvents (a fifth without a valid token) with no 5xx and no error log`, async () => {
    const responseUrl = stack.slack.responseUrl('fuzz');
    const requests = [
      ...fc.sample(slackRequest, { seed, numRuns: slackRequests }).map((fuzz) => ({ ...fuzz, body: withResponseUrl(fuzz.body, responseUrl) })),
      ...fc.sample(eventRequest, { seed: seed + 1, numRuns: cloudEvents }),
    ];
    const base = new URL(stack.url);
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const failures: { index: number; path: string; status: number | string; body: string; request: string }[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests.length) {
          const index = next++;
          const fuzz = requests[index]!;
          const authorization = await authorizationFor(fuzz, index);
          const answer = await send(base, agent, fuzz, stack.clock.now, authorization).catch((error: Error) => ({
            status: `client error ${error.message}`,
            body: '',
          }));
          if (typeof answer.status === 'number') statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          // A request without a valid token is refused (401) before anything else; one with a valid token never is.
          const authWrong = fuzz.token !== undefined && (fuzz.token === 'valid') === (answer.status === 401);
          if (typeof answer.status !== 'number' || answer.status >= 500 || authWrong) {
            const request = JSON.stringify({ headers: fuzz.headers, body: fuzz.body.toString('utf8').slice(0, 300) });
            failures.push({ index, path: fuzz.path, status: answer.status, body: answer.body.slice(0, 200), request });
          }
        }
      }),
    );
    agent.destroy();

    expect(failures.slice(0, 10), `seed ${seed}: ${failures.length} requests answered 5xx, or 401 for a valid token, or not 401 for a bad one`).toEqual([]);
    expect(errorLines.slice(0, 5)).toEqual([]);
    // Bad input was refused (4xx) or answered (200), and the server is still fine.
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(cloudEvents / 2);
    expect(statuses.get(401)).toBe(requests.filter((r) => r.token !== undefined && r.token !== 'valid').length);
    expect((await fetch(`${stack.url}/health/live`)).status).toBe(200);
  }, 60_000);
});
