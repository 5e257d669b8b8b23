import { ErrorCode as SlackErrorCode, LogLevel, WebClient, WebClientEvent, type WebAPICallResult } from '@slack/web-api';
import type { SlackSettings } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import { SlackCallError, type SlackMember, type SlackPort, type SlackUser } from './port.ts';
import { createProxyFetch, usesProxy } from './proxy.ts';

interface Options {
  token: string;
  /** Base URL of the Web API (`slackApiUrl`); an emulator in tests and `npm start`. */
  apiUrl?: string;
  /** Per-call timeout. */
  timeoutMs: number;
  /** Where a `response_url` may point (`SLACK_RESPONSE_URL_PREFIXES`). */
  responseUrlPrefixes: readonly string[];
  log: Logger;
  metrics: Metrics;
  /** How long a `users.info` answer is reused; time zones rarely change. */
  userCacheTtlMs?: number;
  now?: () => number;
  /** How Web API calls and `response_url` posts are sent: through the proxy when one is configured. */
  fetch?: typeof fetch;
}

/**
 * Slack errors that say Slack itself failed part-way (https://api.slack.com/methods/chat.postMessage#errors):
 * the call may or may not have taken effect.
 */
const transientSlackErrors = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * The Slack port over `@slack/web-api`. The SDK never retries and never queues: it would post a
 * message again after a late answer (duplicates), and on HTTP 429 it pauses every call of the
 * client, so one channel's rate limit would stall other users' `views.open` past its 3 s
 * trigger. Failures come back as {@link SlackCallError} saying whether the call may have
 * happened; callers that must succeed go through the durable effects, which retry with care.
 */
export function createSlackWebApi(options: Options): SlackPort {
  const client = new WebClient(options.token, {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    timeout: options.timeoutMs,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    // The SDK logs through its own logger; keep it quiet, we log outcomes ourselves.
    logger: { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} },
  });
  client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number, { url }: { url: string }) => {
    options.log.warn('slack rate limited', { method: methodOf(url), retryAfterSeconds: retryAfter });
  });
  const now = options.now ?? Date.now;
  const ttl = options.userCacheTtlMs ?? 60 * 60 * 1000;
  const users = new Map<string, { user: SlackUser | null; expires: number }>();
  const creators = new Map<string, { creator: string | null; expires: number }>();
  const directMessages = new Map<string, string>();
  const doFetch = options.fetch ?? fetch;

  async function call<T extends WebAPICallResult>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      options.metrics.slackCallsTotal.inc({ method, outcome: 'ok' });
      return result;
    } catch (error) {
      const failure = toSlackCallError(method, error);
      options.metrics.slackCallsTotal.inc({ method, outcome: failure.failure === 'rate_limited' ? 'rate_limited' : 'error' });
      throw failure;
    }
  }

  return {
    async postMessage({ channel, text, blocks, threadTs, metadata }) {
      const result = await call('chat.postMessage', () =>
        client.chat.postMessage({
          channel,
          text,
          blocks,
          thread_ts: threadTs,
          unfurl_links: false,
          ...(metadata ? { metadata: { event_type: metadata.eventType, event_payload: metadata.payload } } : {}),
        }),
      );
      return { channel: result.channel ?? channel, ts: String(result.ts) };
    },
    async updateMessage({ channel, ts, text, blocks }) {
      await call('chat.update', () => client.chat.update({ channel, ts, text, blocks }));
    },
    async deleteMessage({ channel, ts }) {
      try {
        await call('chat.delete', () => client.chat.delete({ channel, ts }));
      } catch (error) {
        // A retry after a delete whose answer was lost finds it gone: the outcome wanted.
        if (!(error instanceof SlackCallError && error.slackError === 'message_not_found')) throw error;
      }
    },
    async postEphemeral({ channel, user, text, blocks, threadTs }) {
      await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, text, blocks, thread_ts: threadTs }));
    },
    async openView({ triggerId, view }) {
      await call('views.open', () => client.views.open({ trigger_id: triggerId, view }));
    },
    async openDirectMessage(userId) {
      // A person's DM with the bot keeps its id; conversations.open is Tier 3 (50 a minute for the
      // whole workspace), so a busy close (summary, runner DMs, reminders) asks once per person.
      const known = directMessages.get(userId);
      if (known) return known;
      const result = await call('conversations.open', () => client.conversations.open({ users: userId }));
      const id = result.channel?.id;
      if (!id) throw new SlackCallError('conversations.open', 'refused', { slackError: 'no_channel_returned' });
      directMessages.set(userId, id);
      if (directMessages.size > 10_000) directMessages.delete(directMessages.keys().next().value as string);
      return id;
    },
    async findMessage({ channel, threadTs, since, metadata }) {
      const oldest = (since.getTime() / 1000).toFixed(6);
      // A thread's replies are not in the channel's history; conversations.replies lists them.
      // `oldest` is exclusive unless `inclusive` (https://docs.slack.dev/reference/methods/conversations.history):
      // a message posted exactly at `since` must still be found.
      const result = threadTs
        ? await call('conversations.replies', () =>
            client.conversations.replies({ channel, ts: threadTs, oldest, inclusive: true, limit: 200, include_all_metadata: true }),
          )
        : await call('conversations.history', () => client.conversations.history({ channel, oldest, inclusive: true, limit: 200, include_all_metadata: true }));
      const found = (result.messages ?? []).find((message) => {
        const meta = message.metadata as { event_type?: string; event_payload?: Record<string, unknown> } | undefined;
        if (meta?.event_type !== metadata.eventType) return false;
        return Object.entries(metadata.payload).every(([key, value]) => meta.event_payload?.[key] === value);
      });
      return found?.ts ? { channel, ts: found.ts } : null;
    },
    async getUser(userId) {
      const cached = users.get(userId);
      if (cached && cached.expires > now()) return cached.user;
      let user: SlackUser | null;
      try {
        const result = await call('users.info', () => client.users.info({ user: userId }));
        const u = result.user;
        user = u
          ? {
              id: userId,
              name: u.profile?.display_name || u.real_name || u.name || userId,
              timeZone: u.tz ?? null,
              isAdmin: Boolean(u.is_admin || u.is_owner || u.is_primary_owner),
            }
          : null;
      } catch (error) {
        if (error instanceof SlackCallError && error.slackError === 'user_not_found') user = null;
        else throw error;
      }
      users.set(userId, { user, expires: now() + ttl });
      if (users.size > 10_000) users.delete(users.keys().next().value as string);
      return user;
    },
    async listMembers() {
      // users.list is Tier 2 and pages by cursor (https://docs.slack.dev/reference/methods/users.list);
      // Slack recommends at most 200 a page. It lists deactivated accounts and bots too: nobody names those.
      const members: SlackMember[] = [];
      let cursor: string | undefined;
      do {
        const page = await call('users.list', () => client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) }));
        for (const m of page.members ?? []) {
          if (!m.id || m.deleted || m.is_bot || m.id === 'USLACKBOT') continue;
          members.push({ id: m.id, handle: m.name ?? '', displayName: m.profile?.display_name ?? '', realName: m.real_name ?? m.profile?.real_name ?? '' });
        }
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
      // Not cached: naming someone is rare, and a person who joined a minute ago must be found.
      return members;
    },
    async getChannelCreator(channelId) {
      const cached = creators.get(channelId);
      if (cached && cached.expires > now()) return cached.creator;
      let creator: string | null;
      try {
        const result = await call('conversations.info', () => client.conversations.info({ channel: channelId }));
        creator = result.channel?.creator ?? null;
      } catch {
        // Who may administer is asked on each admin action: an outage means "not the creator" now, not later.
        return null;
      }
      creators.set(channelId, { creator, expires: now() + ttl });
      if (creators.size > 10_000) creators.delete(creators.keys().next().value as string);
      return creator;
    },
    async respond(responseUrl, message) {
      const body = {
        text: message.text,
        blocks: message.blocks,
        response_type: message.responseType ?? 'ephemeral',
        replace_original: message.replaceOriginal ?? false,
      };
      if (!options.responseUrlPrefixes.some((prefix) => responseUrl.startsWith(prefix))) {
        options.metrics.slackCallsTotal.inc({ method: 'response_url', outcome: 'refused' });
        // The host only: the rest of a response_url is a credential for the message.
        options.log.warn('response_url refused: not a Slack address (SLACK_RESPONSE_URL_PREFIXES)', { host: hostOf(responseUrl) });
        throw new AppError('validation', 'response_url is not a Slack address');
      }
      let status: number;
      try {
        const response = await doFetch(responseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs),
          // A redirect would re-send the message elsewhere; Slack's hooks never redirect.
          redirect: 'manual',
        });
        status = response.status;
      } catch (error) {
        options.metrics.slackCallsTotal.inc({ method: 'response_url', outcome: 'error' });
        throw new AppError('upstream', 'Slack response_url unreachable', { cause: error });
      }
      const outcome = status < 300 ? 'ok' : 'error';
      options.metrics.slackCallsTotal.inc({ method: 'response_url', outcome });
      if (outcome === 'error') throw new AppError('upstream', `Slack response_url answered ${status}`);
    },
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'not a URL';
  }
}

function methodOf(url: string): string {
  return url.split('/').pop() ?? url;
}

/** What a failed SDK call means for a retry (see {@link SlackCallError}). */
function toSlackCallError(method: string, error: unknown): SlackCallError {
  const e = error as { code?: string; data?: { error?: string }; retryAfter?: number; statusCode?: number };
  if (e.code === SlackErrorCode.PlatformError) {
    const slackError = e.data?.error ?? 'unknown_error';
    if (slackError === 'ratelimited') return new SlackCallError(method, 'rate_limited', { slackError, retryAfterSeconds: 1, cause: error });
    if (transientSlackErrors.has(slackError)) return new SlackCallError(method, 'uncertain', { slackError, cause: error });
    // channel_not_found, not_in_channel, invalid_blocks…: retrying the same call cannot help.
    return new SlackCallError(method, 'refused', { slackError, cause: error });
  }
  if (e.code === SlackErrorCode.RateLimitedError) {
    return new SlackCallError(method, 'rate_limited', { retryAfterSeconds: e.retryAfter ?? 1, cause: error });
  }
  // Timeouts, connection errors and HTTP 5xx: Slack may have acted before failing to answer.
  return new SlackCallError(method, 'uncertain', { cause: error });
}

/**
 * The two Slack clients a runtime needs: one for the 3 s acknowledgement path (`SLACK_TIMEOUT_MS`) and
 * one for effects after commit (`SLACK_EFFECT_TIMEOUT_MS`: a late answer is better than an uncertain post).
 * Both send through `HTTPS_PROXY` / `HTTP_PROXY` (except to `NO_PROXY` hosts) when one is set.
 */
export function createSlackPorts(config: SlackSettings, log: Logger, metrics: Metrics): { slack: SlackPort; effectSlack: SlackPort } {
  const common = {
    token: config.SLACK_BOT_TOKEN,
    ...(config.SLACK_API_URL ? { apiUrl: config.SLACK_API_URL } : {}),
    responseUrlPrefixes: config.SLACK_RESPONSE_URL_PREFIXES,
    log,
    metrics,
    ...(usesProxy(config) ? { fetch: createProxyFetch(config) } : {}),
  };
  return {
    slack: createSlackWebApi({ ...common, timeoutMs: config.SLACK_TIMEOUT_MS }),
    effectSlack: createSlackWebApi({ ...common, timeoutMs: config.SLACK_EFFECT_TIMEOUT_MS }),
  };
}
