import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockViolations, modalViolations } from './block-kit-limits.ts';

/** A workspace member as `users.info` reports it. The record key is the user id. */
export interface EmulatedUser {
  name?: string;
  real_name?: string;
  display_name?: string;
  /** IANA zone, e.g. `Europe/Berlin`. Defaults to `UTC`. */
  tz?: string;
  /** Seconds east of UTC; derived from `tz` (at the current date) when omitted. */
  tz_offset?: number;
  is_admin?: boolean;
  is_owner?: boolean;
  /** A deactivated account: `users.list` still lists it. */
  deleted?: boolean;
}

/** One request the emulator received, in arrival order. The token is kept apart from `args`. */
export interface RecordedCall {
  /** Web API method (e.g. `chat.postMessage`) or `response_url`. */
  method: string;
  args: Record<string, unknown>;
  token?: string;
  at: Date;
  /** For `response_url` calls: the id in `/response/<id>`. */
  responseId?: string;
  /** Block Kit limits the call broke; Slack refused it (`invalid_blocks`, `invalid_arguments`). */
  violations?: string[];
  /** Set when a rate limit refused the call (HTTP 429): the `Retry-After` seconds answered. */
  retryAfter?: number;
}

/** A failure to inject with {@link SlackEmulator.failNext}. */
export interface EmulatedFailure {
  /** Slack error code for `{ ok: false, error }` (default `internal_error`; `ratelimited` for 429). */
  error?: string;
  /** HTTP status: 429 answers with `Retry-After`; 500/503 answer that status; default 200. */
  status?: number;
  /** `Retry-After` seconds for a 429 (default 1). */
  retryAfterSeconds?: number;
  /** How many consecutive calls fail (default 1). */
  times?: number;
  /**
   * Answer this late instead of failing: the call takes effect at once (a message is posted) but
   * the answer comes after `delayMs`, as when Slack is slow.
   */
  delayMs?: number;
}

/** The current state of a message posted through `chat.postMessage`. */
export interface EmulatedMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown;
  thread_ts?: string;
  /** `metadata` as posted (`{ event_type, event_payload }`). */
  metadata?: unknown;
  /** The person who wrote it ({@link SlackEmulator.say}); absent for the bot's own messages. */
  user?: string;
  /** How many times `chat.update` changed it. */
  edits: number;
}

/** An ephemeral message as posted through `chat.postEphemeral` or a `response_url`: only `user` sees it. */
export interface EmulatedEphemeral {
  channel: string;
  user: string;
  /** The `message_ts` Slack answered. */
  ts: string;
  text?: string;
  blocks?: unknown;
  thread_ts?: string;
  /** How many times a `response_url` with `replace_original` changed it. */
  edits: number;
}

/** A view Slack knows, as `views.*` last answered it (with `id`, `hash`, `external_id`). */
export interface EmulatedView {
  id: string;
  /** The `trigger_id` it was opened or pushed with; whoever issued that trigger knows whose modal it is. */
  triggerId?: string;
  view: Record<string, unknown>;
}

/**
 * Where a `response_url` answer lands, as Slack knows it for the interaction that issued the URL:
 * the conversation, the user who acted, and the message they acted on, if any.
 */
export interface ResponseTarget {
  channel: string;
  user: string;
  /** The source message, for `replace_original` and `delete_original`. */
  messageTs?: string;
  /** Whether the source message is an ephemeral one of `user`'s. */
  ephemeral?: boolean;
}

/** A call that changed what Slack shows (or that Slack refused for its blocks or its trigger), with the answer it got. */
export interface EmulatorChange {
  call: RecordedCall;
  answer: Record<string, unknown>;
}

/** Options for {@link startSlackEmulator}. */
export interface SlackEmulatorOptions {
  port?: number;
  host?: string;
  users?: Record<string, EmulatedUser>;
  /** Who created each channel (`conversations.info` → `creator`); a channel not named has a creator nobody here is. */
  channelCreators?: Record<string, string>;
  onCall?: (call: RecordedCall) => void;
  /**
   * The clock message timestamps, trigger and response_url lifetimes and rate-limit windows run
   * on (Slack's clock; a test's clock in tests).
   */
  now?: () => Date;
  /**
   * Turns Slack's per-method rate limits off. They are on unless a caller says here why its
   * traffic is not what Slack would see (a fuzz test, a benchmark measuring the bot, not Slack).
   */
  rateLimitsOff?: { reason: string };
}

/** A running emulator. Pass `url` to `new WebClient(token, { slackApiUrl })`. */
export interface SlackEmulator {
  /** Web API base URL, with a trailing slash, e.g. `http://127.0.0.1:1234/api/`. */
  readonly url: string;
  /**
   * A `response_url` served by the emulator; POSTs to it are recorded as method `response_url`.
   * With a `target` they also take effect as on Slack: an ephemeral message for the user by
   * default, a channel message for `response_type: in_channel`, and `replace_original` /
   * `delete_original` change the source message.
   */
  responseUrl(id?: string, target?: ResponseTarget): string;
  /**
   * A fresh `trigger_id`, as Slack puts in the payload of an interaction it sends, issued now on
   * the emulator's clock: `views.open` / `views.push` take it once within 3 seconds.
   */
  issueTrigger(): string;
  /**
   * A message a person wrote in `channel` (or in the thread `threadTs`): in the history like the
   * bot's, but the bot may not edit or delete it. Returns its ts.
   */
  say(channel: string, user: string, text: string, threadTs?: string): string;
  readonly calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /** Current (post-update, not deleted) messages of a channel, or of all channels, in post order. */
  messages(channel?: string): EmulatedMessage[];
  /** Ephemeral messages still shown (not replaced away or deleted), of a channel or all, in post order. */
  ephemerals(channel?: string): EmulatedEphemeral[];
  /** Every view opened, pushed or updated, by id, as last answered. */
  views(): EmulatedView[];
  /**
   * Apply a message to `target` as a `response_url` POST would, without recording a call: how
   * Slack shows a slash command's synchronous answer. Returns the Block Kit violations that made
   * Slack refuse it (nothing applied then), else an empty list.
   */
  deliver(target: ResponseTarget, message: Record<string, unknown>): string[];
  /**
   * Store a view Slack changed without a Web API call (a `view_submission` answered with
   * `response_action: update` or `push`): replacing view `id`, or as a new view. Answers the view
   * as Slack would, or the violations that made Slack refuse it.
   */
  putView(view: Record<string, unknown>, id?: string): { view: Record<string, unknown> } | { violations: string[] };
  /** Calls `listener` after every call that changed what Slack shows, or was refused for its blocks or its trigger. */
  subscribe(listener: (change: EmulatorChange) => void): () => void;
  setUser(id: string, user: EmulatedUser): void;
  setChannelCreator(channel: string, user: string): void;
  failNext(method: string, failure: EmulatedFailure): void;
  /** While true, every Web API call answers HTTP 503, as during a Slack outage. */
  setOutage(down: boolean): void;
  /**
   * Clears recorded calls and pending failures (messages, ephemerals, views, users, issued
   * triggers and response_url uses are kept; so is what each rate limit has used up, as on Slack).
   */
  reset(): void;
  close(): Promise<void>;
}

type Args = Record<string, unknown>;
type Reply = Record<string, unknown>;

/** The workspace the emulator plays; `auth.test`, `users.info` and views carry it. */
export const emulatedTeamId = 'T000EMULATED';
const BOT_USER_ID = 'U000BOT';
const JSON_FIELDS = ['blocks', 'attachments', 'view', 'metadata'];
/** Methods whose success changes what Slack shows, so subscribers hear of them. */
const CHANGES = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'chat.delete', 'views.open', 'views.push', 'views.update']);
/**
 * A `trigger_id` works once, within 3 seconds of the interaction that carried it; `views.open`
 * and `views.push` refuse it with `invalid_trigger_id` (never issued), `exchanged_trigger_id`
 * (already used) or `expired_trigger_id`
 * (https://docs.slack.dev/reference/methods/views.open, https://docs.slack.dev/reference/methods/views.push).
 */
const TRIGGER_LIFETIME_MS = 3000;
const TRIGGER_ERRORS = new Set(['invalid_trigger_id', 'exchanged_trigger_id', 'expired_trigger_id']);
/**
 * A `response_url` takes up to 5 messages within 30 minutes of the interaction
 * (https://docs.slack.dev/interactivity/handling-user-interaction#message_responses); after that
 * Slack answers HTTP 404 with `used_url` or `expired_url`.
 */
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;
/**
 * Slack's rate-limit tiers, per method per workspace per app, in calls per minute
 * (https://docs.slack.dev/apis/web-api/rate-limits): Tier 1 1+, Tier 2 20+, Tier 3 50+, Tier 4
 * 100+, "bursts tolerated". Modelled as a bucket holding a minute's worth of calls that refills
 * evenly, so a burst of up to a minute's allowance passes and a steady rate above it gets 429.
 */
const TIER_PER_MINUTE = { 1: 1, 2: 20, 3: 50, 4: 100 } as const;
/** Each method's tier, as its reference page (https://docs.slack.dev/reference/methods/<method>) lists it. */
const METHOD_TIER: Record<string, keyof typeof TIER_PER_MINUTE> = {
  // auth.test is "Special", far above what an app calls it at; Tier 4 stands in.
  'auth.test': 4,
  'chat.update': 3,
  'chat.postEphemeral': 4,
  'chat.delete': 3,
  'users.info': 4,
  'users.list': 2,
  'conversations.open': 3,
  'conversations.info': 3,
  'conversations.history': 3,
  'conversations.replies': 3,
  'views.open': 4,
  'views.push': 4,
  'views.update': 4,
};
/**
 * `chat.postMessage` is "Special": about 1 message per second per channel, short bursts allowed
 * (https://docs.slack.dev/reference/methods/chat.postMessage#rate_limiting). Slack does not say
 * how long a burst; 5 is this emulator's choice.
 */
const POST_PER_CHANNEL = { perSecond: 1, burst: 5 };
const REQUIRED: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['channel'],
  'chat.update': ['channel', 'ts'],
  'chat.postEphemeral': ['channel', 'user'],
  'chat.delete': ['channel', 'ts'],
  'users.info': ['user'],
  'users.list': [],
  'conversations.info': ['channel'],
  'conversations.open': [],
  'views.open': ['trigger_id', 'view'],
  'views.push': ['trigger_id', 'view'],
  'views.update': ['view'],
  'conversations.history': ['channel'],
  'conversations.replies': ['channel', 'ts'],
};

/** Starts a Slack Web API emulator on 127.0.0.1 (a free port unless `port` is given). */
export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const host = options.host ?? '127.0.0.1';
  const users = new Map(Object.entries(options.users ?? {}));
  const channelCreators = new Map(Object.entries(options.channelCreators ?? {}));
  const calls: RecordedCall[] = [];
  const failures = new Map<string, { failure: EmulatedFailure; remaining: number }[]>();
  const channels = new Map<string, Map<string, EmulatedMessage>>();
  const ephemerals = new Map<string, EmulatedEphemeral>();
  const views = new Map<string, EmulatedView>();
  const responseTargets = new Map<string, ResponseTarget>();
  const responseUses = new Map<string, { issuedAt: number; uses: number }>();
  const triggers = new Map<string, { issuedAt: number; exchanged: boolean }>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  const listeners = new Set<(change: EmulatorChange) => void>();
  const now = options.now ?? (() => new Date());
  let lastMicros = 0;
  let idCounter = 0;
  // A message ts is the post time in epoch seconds with microseconds, as on Slack, kept unique.
  const nextTs = (): string => {
    lastMicros = Math.max(lastMicros + 1, now().getTime() * 1000);
    return `${Math.floor(lastMicros / 1e6)}.${String(lastMicros % 1e6).padStart(6, '0')}`;
  };

  const takeFailure = (method: string): EmulatedFailure | undefined => {
    const queue = failures.get(method);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    if (--head.remaining <= 0) queue.shift();
    return head.failure;
  };

  const handlers: Record<string, (args: Args) => Reply> = {
    'auth.test': () => ({
      url: 'https://emulated.slack.com/',
      team: 'Emulated',
      user: 'bot',
      team_id: emulatedTeamId,
      user_id: BOT_USER_ID,
      bot_id: 'B000BOT',
      is_enterprise_install: false,
    }),
    'chat.postMessage': (args) => {
      if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) {
        return { ok: false, error: 'no_text' };
      }
      const message = postMessage(String(args.channel), args);
      return { channel: message.channel, ts: message.ts, message: slackMessage(message) };
    },
    'chat.update': (args) => {
      const channel = dmChannel(String(args.channel));
      const message = channels.get(channel)?.get(String(args.ts));
      // https://docs.slack.dev/reference/methods/chat.update: no such message, or not the bot's to edit.
      if (!message) return { ok: false, error: 'message_not_found' };
      if (message.user !== undefined) return { ok: false, error: 'cant_update_message' };
      Object.assign(message, pick(args, ['text', 'blocks']));
      message.edits += 1;
      return { channel, ts: message.ts, text: message.text ?? '', message: slackMessage(message) };
    },
    'chat.postEphemeral': (args) => {
      if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) {
        return { ok: false, error: 'no_text' };
      }
      return { message_ts: postEphemeral(String(args.channel), String(args.user), args).ts };
    },
    'chat.delete': (args) => {
      const channel = dmChannel(String(args.channel));
      const ts = String(args.ts);
      // https://docs.slack.dev/reference/methods/chat.delete: a bot token deletes only the bot's messages.
      if (channels.get(channel)?.get(ts)?.user !== undefined) return { ok: false, error: 'cant_delete_message' };
      if (!channels.get(channel)?.delete(ts)) return { ok: false, error: 'message_not_found' };
      return { channel, ts };
    },
    // https://api.slack.com/methods/conversations.info: the channel, with the user who created it.
    'conversations.info': (args) => {
      const id = String(args.channel);
      return { channel: { id, name: id.toLowerCase(), is_channel: true, created: 1_700_000_000, creator: channelCreators.get(id) ?? 'U000CREATOR' } };
    },
    'users.info': (args) => {
      const id = String(args.user);
      const user = users.get(id);
      if (!user) return { ok: false, error: 'user_not_found' };
      return { user: member(id, user) };
    },
    // https://docs.slack.dev/reference/methods/users.list: everyone, deactivated accounts too, a page
    // of `limit` at a time; `response_metadata.next_cursor` is empty on the last page.
    'users.list': (args) => {
      const all = [...users.entries()].sort(([a], [b]) => a.localeCompare(b));
      const start = args.cursor
        ? Number(
            Buffer.from(String(args.cursor), 'base64')
              .toString('utf8')
              .replace(/^offset:/, ''),
          )
        : 0;
      if (!Number.isInteger(start) || start < 0 || start > all.length) return { ok: false, error: 'invalid_cursor' };
      const limit = Number(args.limit ?? 0) > 0 ? Math.min(Number(args.limit), 1000) : all.length;
      const end = start + limit;
      return {
        members: all.slice(start, end).map(([id, user]) => member(id, user)),
        response_metadata: { next_cursor: end < all.length ? Buffer.from(`offset:${end}`).toString('base64') : '' },
      };
    },
    'conversations.open': (args) => {
      if (typeof args.channel === 'string' && args.channel !== '') return { channel: { id: args.channel } };
      const ids = String(args.users ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (ids.length === 0) return { ok: false, error: 'invalid_arguments' };
      return { channel: { id: ids.length === 1 ? `D${ids[0]}` : `G${ids.join('')}` } };
    },
    // Newest first, as Slack lists them; thread replies stay out of the channel's history.
    'conversations.history': (args) => ({
      messages: listMessages(String(args.channel), args)
        .filter((m) => !m.thread_ts || m.thread_ts === m.ts)
        .reverse()
        .map((m) => slackMessage(m, args.include_all_metadata)),
      has_more: false,
    }),
    // The parent first, then its replies oldest first.
    'conversations.replies': (args) => {
      const parent = channels.get(dmChannel(String(args.channel)))?.get(String(args.ts));
      if (!parent) return { ok: false, error: 'thread_not_found' };
      const replies = listMessages(String(args.channel), args).filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
      return { messages: [parent, ...replies].map((m) => slackMessage(m, args.include_all_metadata)), has_more: false };
    },
    'views.open': (args) => exchangeTrigger(String(args.trigger_id)) ?? { view: storeView(args, newViewId(), String(args.trigger_id)) },
    'views.push': (args) => exchangeTrigger(String(args.trigger_id)) ?? { view: storeView(args, newViewId(), String(args.trigger_id)) },
    // A view is found by its id or by the external_id it was opened with; an unknown one is not_found.
    'views.update': (args) => {
      if (args.view_id === undefined && args.external_id === undefined) return { ok: false, error: 'invalid_arguments' };
      const known = args.view_id !== undefined ? views.get(String(args.view_id)) : [...views.values()].find((v) => v.view.external_id === args.external_id);
      if (!known) return { ok: false, error: 'not_found' };
      return { view: storeView(args, known.id, known.triggerId) };
    },
  };

  /** Uses up a trigger, or answers why Slack would refuse it. */
  const exchangeTrigger = (id: string): Reply | undefined => {
    const trigger = triggers.get(id);
    if (!trigger) return { ok: false, error: 'invalid_trigger_id' };
    if (trigger.exchanged) return { ok: false, error: 'exchanged_trigger_id' };
    if (now().getTime() - trigger.issuedAt > TRIGGER_LIFETIME_MS) return { ok: false, error: 'expired_trigger_id' };
    trigger.exchanged = true;
    return undefined;
  };

  /**
   * Takes one call from the bucket `key`, holding `burst` calls and refilling `perSecond`: the
   * seconds to wait (Slack's `Retry-After`) when it is empty, else 0.
   */
  const throttle = (key: string, burst: number, perSecond: number): number => {
    const at = now().getTime();
    const bucket = buckets.get(key) ?? { tokens: burst, at };
    // A clock set back (a test moving its clock) refills nothing rather than draining the bucket.
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, at - bucket.at) / 1000) * perSecond);
    bucket.at = at;
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  };

  /** Seconds until `method` may be called again, 0 when it may be now (and the call is counted). */
  const rateLimited = (method: string, args: Args): number => {
    if (options.rateLimitsOff) return 0;
    if (method === 'chat.postMessage') {
      return throttle(`chat.postMessage:${dmChannel(String(args.channel ?? ''))}`, POST_PER_CHANNEL.burst, POST_PER_CHANNEL.perSecond);
    }
    const tier = METHOD_TIER[method];
    if (tier === undefined) return 0;
    const perMinute = TIER_PER_MINUTE[tier];
    return throttle(method, perMinute, perMinute / 60);
  };

  const newViewId = (): string => `V${String(++idCounter).padStart(8, '0')}`;

  const storeView = (args: Args, id: string, triggerId?: string): Reply => {
    const view = slackView(args, id);
    views.set(id, triggerId === undefined ? { id, view } : { id, triggerId, view });
    return view;
  };

  const postMessage = (to: string, args: Args, user?: string): EmulatedMessage => {
    const channel = dmChannel(to);
    const message: EmulatedMessage = { channel, ts: nextTs(), edits: 0, ...(user === undefined ? {} : { user }) };
    Object.assign(message, pick(args, ['text', 'blocks', 'thread_ts', 'metadata']));
    const store = channels.get(channel) ?? new Map<string, EmulatedMessage>();
    channels.set(channel, store.set(message.ts, message));
    return message;
  };

  const postEphemeral = (to: string, user: string, args: Args): EmulatedEphemeral => {
    const ephemeral: EmulatedEphemeral = { channel: dmChannel(to), user, ts: nextTs(), edits: 0 };
    Object.assign(ephemeral, pick(args, ['text', 'blocks', 'thread_ts']));
    ephemerals.set(ephemeral.ts, ephemeral);
    return ephemeral;
  };

  /**
   * What Slack does with a message sent to a response_url
   * (https://docs.slack.dev/interactivity/handling-user-interaction#message_responses): delete or
   * replace the source message (an ephemeral one only for its user), else post in the channel
   * (`in_channel`) or ephemerally to the user (the default).
   */
  const respond = (target: ResponseTarget, args: Args): void => {
    const content = pick(args, ['text', 'blocks']);
    const source = target.messageTs;
    if (source !== undefined && (isTrue(args.delete_original) || isTrue(args.replace_original))) {
      const message = target.ephemeral ? ephemerals.get(source) : channels.get(dmChannel(target.channel))?.get(source);
      if (!message) return;
      if (isTrue(args.delete_original)) {
        if (target.ephemeral) ephemerals.delete(source);
        else channels.get(dmChannel(target.channel))?.delete(source);
        return;
      }
      // The whole message is replaced: blocks not given are gone, as on Slack.
      delete message.text;
      delete message.blocks;
      Object.assign(message, content);
      message.edits += 1;
      return;
    }
    if (args.response_type === 'in_channel') postMessage(target.channel, content);
    else postEphemeral(target.channel, target.user, content);
  };

  const notify = (call: RecordedCall, answer: Reply): void => {
    for (const listener of listeners) listener({ call, answer });
  };

  /**
   * A channel's messages in post order between `args.oldest` and `args.latest`, both exclusive
   * unless `inclusive` is true (https://docs.slack.dev/reference/methods/conversations.history,
   * https://docs.slack.dev/reference/methods/conversations.replies).
   */
  const listMessages = (channel: string, args: Args): EmulatedMessage[] => {
    const inclusive = isTrue(args.inclusive) || args.inclusive === '1' || args.inclusive === 1;
    const oldest = args.oldest === undefined ? undefined : Number(args.oldest);
    const latest = args.latest === undefined ? undefined : Number(args.latest);
    return [...(channels.get(dmChannel(channel))?.values() ?? [])].filter((m) => {
      const ts = Number(m.ts);
      if (oldest !== undefined && (inclusive ? ts < oldest : ts <= oldest)) return false;
      return latest === undefined || (inclusive ? ts <= latest : ts < latest);
    });
  };
  let outage = false;

  /** Counts a use of a response_url, or names why Slack no longer takes it. */
  const spendResponseUrl = (id: string): string | undefined => {
    const issued = responseUses.get(id);
    // A URL no interaction issued: Slack's answer for a webhook it does not know.
    if (!issued) return 'no_service';
    if (now().getTime() - issued.issuedAt > RESPONSE_URL_LIFETIME_MS) return 'expired_url';
    if (issued.uses >= RESPONSE_URL_USES) return 'used_url';
    issued.uses += 1;
    return undefined;
  };

  const record = (call: RecordedCall): void => {
    calls.push(call);
    options.onCall?.(call);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const raw = await readBody(req);
    const body = parseBody(raw, req.headers['content-type']);
    const args: Args = { ...Object.fromEntries(url.searchParams), ...body };
    const response = /^\/response\/([^/]+)$/.exec(url.pathname);
    if (!body) return response ? send(res, 400, 'invalid_payload', 'text/plain') : send(res, 200, { ok: false, error: 'invalid_json' });
    if (response?.[1]) {
      const responseId = decodeURIComponent(response[1]);
      const call: RecordedCall = { method: 'response_url', args, at: new Date(), responseId };
      record(call);
      const failure = takeFailure('response_url');
      const spent = failure ? undefined : spendResponseUrl(responseId);
      if (spent) return send(res, 404, spent, 'text/plain');
      if (!failure) {
        const violations = args.blocks === undefined ? [] : blockViolations(args.blocks, 'message');
        if (violations.length > 0) {
          call.violations = violations;
          const refusal = { ok: false, error: 'invalid_blocks', errors: violations };
          notify(call, refusal);
          return send(res, 400, refusal);
        }
        const target = responseTargets.get(responseId);
        if (target) respond(target, args);
        notify(call, { ok: true });
        return send(res, 200, 'ok', 'text/plain');
      }
      const status = failure.status ?? 404;
      if (status === 429) res.setHeader('Retry-After', String(failure.retryAfterSeconds ?? 1));
      return send(res, status, failure.error ?? (status === 429 ? 'ratelimited' : 'expired_url'), 'text/plain');
    }
    const api = /^\/api\/([\w.]+)$/.exec(url.pathname);
    if (!api?.[1]) return send(res, 404, { ok: false, error: 'not_found' });
    const method = api[1];
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof args.token === 'string' && args.token !== '' ? args.token : undefined);
    delete args.token;
    const call: RecordedCall = token === undefined ? { method, args, at: new Date() } : { method, args, token, at: new Date() };
    record(call);

    if (outage) return send(res, 503, { ok: false, error: 'service_unavailable' });
    const failure = takeFailure(method);
    if (failure?.delayMs !== undefined) {
      // Slow, not failing: the call takes effect now, the answer comes late (or never reaches a
      // client that gave up).
      const reply = answer(call);
      await new Promise((resolve) => setTimeout(resolve, failure.delayMs));
      if (!res.destroyed) send(res, 200, reply);
      return;
    }
    if (failure) {
      const status = failure.status ?? 200;
      if (status === 429) res.setHeader('Retry-After', String(failure.retryAfterSeconds ?? 1));
      const error = failure.error ?? (status === 429 ? 'ratelimited' : 'internal_error');
      return send(res, status, { ok: false, error });
    }
    // https://docs.slack.dev/apis/web-api/rate-limits: HTTP 429, `Retry-After` in seconds.
    const retryAfter = call.token === undefined ? 0 : rateLimited(method, args);
    if (retryAfter > 0) {
      call.retryAfter = retryAfter;
      res.setHeader('Retry-After', String(retryAfter));
      return send(res, 429, { ok: false, error: 'ratelimited' });
    }
    send(res, 200, answer(call));
  };

  /** Slack's answer to a Web API call that was let through: checked, applied, and told to subscribers. */
  const answer = (call: RecordedCall): Reply => {
    const { method, args } = call;
    const handler = handlers[method];
    if (!handler) return { ok: false, error: 'unknown_method' };
    if (call.token === undefined) return { ok: false, error: 'not_authed' };
    const missing = (REQUIRED[method] ?? []).some((k) => args[k] === undefined || args[k] === null || args[k] === '');
    if (missing) return { ok: false, error: 'invalid_arguments' };
    const violations = limitViolations(method, args);
    if (violations.length > 0) {
      call.violations = violations;
      const refusal = refusalFor(method, violations);
      notify(call, refusal);
      return refusal;
    }
    const reply: Reply = { ok: true, ...handler(args) };
    // A refused trigger is told too: whoever plays the user sees that their modal never opened.
    if (CHANGES.has(method) && (reply.ok === true || TRIGGER_ERRORS.has(String(reply.error)))) notify(call, reply);
    return reply;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error: 'internal_error', detail: String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const base = `http://${publicHost}:${port}`;
  let responseCounter = 0;

  return {
    url: `${base}/api/`,
    responseUrl: (id, target) => {
      const responseId = id ?? `r${++responseCounter}`;
      if (target) responseTargets.set(responseId, target);
      responseUses.set(responseId, { issuedAt: now().getTime(), uses: 0 });
      return `${base}/response/${encodeURIComponent(responseId)}`;
    },
    issueTrigger: () => {
      const issuedAt = now().getTime();
      // Slack's shape: <number>.<number>.<hex>, e.g. 12345.98765.abcd2358fdea.
      const id = `${++idCounter}.${Math.floor(issuedAt / 1000)}.${randomBytes(8).toString('hex')}`;
      triggers.set(id, { issuedAt, exchanged: false });
      return id;
    },
    say: (channel, user, text, threadTs) => postMessage(channel, { text, ...(threadTs ? { thread_ts: threadTs } : {}) }, user).ts,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    messages: (channel) => {
      const stores = channel === undefined ? [...channels.values()] : [channels.get(dmChannel(channel)) ?? new Map()];
      return stores.flatMap((store) => [...store.values()].map((m) => ({ ...m })));
    },
    ephemerals: (channel) => [...ephemerals.values()].filter((e) => channel === undefined || e.channel === dmChannel(channel)).map((e) => ({ ...e })),
    views: () => [...views.values()].map((v) => ({ ...v })),
    deliver: (target, message) => {
      const violations = message.blocks === undefined ? [] : blockViolations(message.blocks, 'message');
      if (violations.length === 0) respond(target, message);
      return violations;
    },
    putView: (view, id) => {
      const violations = modalViolations(view);
      if (violations.length > 0) return { violations };
      const known = id === undefined ? undefined : views.get(id);
      return { view: storeView({ view }, known?.id ?? newViewId(), known?.triggerId) };
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    setUser: (id, user) => void users.set(id, user),
    setChannelCreator: (channel, user) => void channelCreators.set(channel, user),
    setOutage: (down) => {
      outage = down;
    },
    failNext: (method, failure) => {
      const queue = failures.get(method) ?? [];
      failures.set(method, [...queue, { failure, remaining: Math.max(1, failure.times ?? 1) }]);
    },
    reset: () => {
      calls.length = 0;
      failures.clear();
      outage = false;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** One human-readable line for a call: method, channel/user and text. Never includes the token. */
export function describeCall(call: RecordedCall): string {
  const a = call.args;
  const parts: string[] = [call.method === 'response_url' ? `response_url ${call.responseId ?? ''}`.trim() : call.method];
  for (const key of ['channel', 'user', 'users', 'ts', 'view_id', 'response_type']) {
    if (typeof a[key] === 'string' || typeof a[key] === 'number') parts.push(`${key}=${String(a[key])}`);
  }
  if (typeof a.text === 'string') parts.push(JSON.stringify(truncate(a.text.replace(/\s+/g, ' '), 120)));
  if (Array.isArray(a.blocks)) parts.push(`(${a.blocks.length} blocks)`);
  if (a.view && typeof a.view === 'object') parts.push(`(view ${String((a.view as Args).type ?? '?')})`);
  return parts.join(' ');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form or JSON body to args, with JSON-in-form fields decoded; `undefined` for malformed JSON. */
function parseBody(raw: string, contentType: string | undefined): Args | undefined {
  if (raw.trim() === '') return {};
  let args: Args;
  if ((contentType ?? '').includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    args = parsed as Args;
  } else {
    args = Object.fromEntries(new URLSearchParams(raw));
  }
  for (const key of JSON_FIELDS) {
    const value = args[key];
    if (typeof value !== 'string') continue;
    try {
      args[key] = JSON.parse(value) as unknown;
    } catch {
      // not JSON: keep the string as Slack would reject it
    }
  }
  return args;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': `${type}; charset=utf-8` }).end(text);
}

/** The Block Kit limits a call breaks: blocks of messages, whole views. */
function limitViolations(method: string, args: Args): string[] {
  if (method.startsWith('views.')) return modalViolations(args.view);
  if (method.startsWith('chat.') && args.blocks !== undefined) return blockViolations(args.blocks, 'message');
  return [];
}

/**
 * How Slack refuses blocks: messages with `invalid_blocks` and the problems in `errors`, views with
 * `invalid_arguments`; both list them in `response_metadata.messages` too.
 */
function refusalFor(method: string, violations: string[]): Reply {
  const messages = { response_metadata: { messages: violations } };
  return method.startsWith('views.')
    ? { ok: false, error: 'invalid_arguments', ...messages }
    : { ok: false, error: 'invalid_blocks', errors: violations, ...messages };
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Posting to a user id lands in the DM with that user, as on Slack. */
function dmChannel(channel: string): string {
  return /^[UW][A-Z0-9]+$/.test(channel) ? `D${channel}` : channel;
}

function pick(args: Args, keys: string[]): Args {
  return Object.fromEntries(keys.filter((k) => args[k] !== undefined).map((k) => [k, args[k]]));
}

/** A message as Slack's API shows it (history, `chat.postMessage`'s answer, `block_actions` payloads). */
export function slackMessage(m: EmulatedMessage, includeMetadata?: unknown): Reply {
  const withMetadata = includeMetadata === true || includeMetadata === 'true' || includeMetadata === '1';
  return {
    type: 'message',
    user: m.user ?? BOT_USER_ID,
    ...(m.user === undefined ? { bot_id: 'B000BOT' } : {}),
    text: m.text ?? '',
    blocks: m.blocks,
    ts: m.ts,
    thread_ts: m.thread_ts,
    ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}),
  };
}

function slackView(args: Args, id: string): Reply {
  const view = args.view && typeof args.view === 'object' ? (args.view as Args) : {};
  return { ...view, id, team_id: emulatedTeamId, hash: `${Date.now()}.emulated`, external_id: args.external_id ?? view.external_id ?? '' };
}

/** A user object as `users.info` and `users.list` return it. */
function member(id: string, user: EmulatedUser): Reply {
  const name = user.name ?? id.toLowerCase();
  const realName = user.real_name ?? name;
  const tz = user.tz ?? 'UTC';
  return {
    id,
    team_id: emulatedTeamId,
    name,
    real_name: realName,
    tz,
    tz_offset: user.tz_offset ?? tzOffsetSeconds(tz),
    is_admin: user.is_admin ?? false,
    is_owner: user.is_owner ?? false,
    is_bot: false,
    deleted: user.deleted ?? false,
    profile: { real_name: realName, display_name: user.display_name ?? name },
  };
}

function tzOffsetSeconds(tz: string): number {
  try {
    const name =
      new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ??
      '';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
  } catch {
    return 0;
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
