import { ErrorCode as SlackErrorCode, WebClient, WebClientEvent, type WebAPICallResult } from '@slack/web-api';
import { AppError } from '../errors.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import type { SlackPort, SlackUser } from './port.ts';

interface Options {
  token: string;
  /** Base URL of the Web API (`slackApiUrl`); an emulator in tests and `npm start`. */
  apiUrl?: string;
  timeoutMs: number;
  log: Logger;
  metrics: Metrics;
  /** How long a `users.info` answer is reused; time zones rarely change. */
  userCacheTtlMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

/**
 * The Slack port over `@slack/web-api`. Errors come back as AppError `upstream` carrying Slack's
 * error string; rate limits (HTTP 429) are retried by the SDK after `Retry-After`.
 */
export function createSlackWebApi(options: Options): SlackPort {
  const client = new WebClient(options.token, {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    timeout: options.timeoutMs,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000, randomize: true },
    // The SDK logs through its own logger; keep it quiet, we log outcomes ourselves.
    logger: { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'error' as never, setName() {} },
  });
  client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number, { url }: { url: string }) => {
    options.metrics.slackCallsTotal.inc({ method: methodOf(url), outcome: 'rate_limited' });
    options.log.warn('slack rate limited', { method: methodOf(url), retryAfterSeconds: retryAfter });
  });
  const now = options.now ?? Date.now;
  const ttl = options.userCacheTtlMs ?? 60 * 60 * 1000;
  const users = new Map<string, { user: SlackUser | null; expires: number }>();
  const doFetch = options.fetch ?? fetch;

  async function call<T extends WebAPICallResult>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      options.metrics.slackCallsTotal.inc({ method, outcome: 'ok' });
      return result;
    } catch (error) {
      options.metrics.slackCallsTotal.inc({ method, outcome: 'error' });
      throw toUpstreamError(method, error);
    }
  }

  return {
    async postMessage({ channel, text, blocks, threadTs }) {
      const result = await call('chat.postMessage', () =>
        client.chat.postMessage({ channel, text, blocks: blocks as never, thread_ts: threadTs, unfurl_links: false }),
      );
      return { channel: result.channel ?? channel, ts: String(result.ts) };
    },
    async updateMessage({ channel, ts, text, blocks }) {
      await call('chat.update', () => client.chat.update({ channel, ts, text, blocks: blocks as never }));
    },
    async postEphemeral({ channel, user, text, blocks }) {
      await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, text, blocks: blocks as never }));
    },
    async openView({ triggerId, view }) {
      await call('views.open', () => client.views.open({ trigger_id: triggerId, view: view as never }));
    },
    async openDirectMessage(userId) {
      const result = await call('conversations.open', () => client.conversations.open({ users: userId }));
      const id = result.channel?.id;
      if (!id) throw new AppError('upstream', 'Slack did not return a DM channel');
      return id;
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
        if (error instanceof AppError && error.message.includes('user_not_found')) user = null;
        else throw error;
      }
      users.set(userId, { user, expires: now() + ttl });
      if (users.size > 10_000) users.delete(users.keys().next().value as string);
      return user;
    },
    async respond(responseUrl, message) {
      const body = {
        text: message.text,
        blocks: message.blocks,
        response_type: message.responseType ?? 'ephemeral',
        replace_original: message.replaceOriginal ?? false,
      };
      let status: number;
      try {
        const response = await doFetch(responseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs),
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

function methodOf(url: string): string {
  return url.split('/').pop() ?? url;
}

function toUpstreamError(method: string, error: unknown): AppError {
  const e = error as { code?: string; data?: { error?: string }; retryAfter?: number };
  if (e.code === SlackErrorCode.PlatformError) {
    // Errors such as channel_not_found or not_in_channel do not heal by retrying.
    return new AppError('upstream', `Slack ${method} failed: ${e.data?.error ?? 'unknown_error'}`, {
      retryable: false,
      cause: error,
    });
  }
  if (e.code === SlackErrorCode.RateLimitedError) {
    return new AppError('upstream', `Slack ${method} rate limited`, { retryable: true, cause: error });
  }
  return new AppError('upstream', `Slack ${method} unavailable`, { retryable: true, cause: error });
}
