import { slackHeaders } from '../../../test/support/slack-requests.ts';

/** What the bot answered, or why Slack would have given up on it. */
export type BotAnswer = { ok: true; contentType: string; text: string } | { ok: false; error: 'dispatch_failed' | 'operation_timeout'; detail: string };

/** Slack waits 3 s for an app to answer a command or an interaction. */
export const slackTimeoutMs = 3000;

/**
 * Posts a form body to the bot as Slack does: signed with the signing secret at the current time,
 * given up on after Slack's 3 s. A non-2xx answer is what Slack reports to the user as
 * `dispatch_failed`, no answer in time as `operation_timeout`.
 */
export function createBotClient(options: { botUrl: () => string; signingSecret: string; timeoutMs?: number; now?: () => Date }) {
  const timeoutMs = options.timeoutMs ?? slackTimeoutMs;
  const now = options.now ?? (() => new Date());
  return async function post(path: '/slack/commands' | '/slack/interactions', body: string): Promise<BotAnswer> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${options.botUrl()}${path}`, {
        method: 'POST',
        headers: slackHeaders(options.signingSecret, body, now()),
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return timedOut
        ? { ok: false, error: 'operation_timeout', detail: `the app did not answer ${path} within ${timeoutMs / 1000} s` }
        : { ok: false, error: 'dispatch_failed', detail: `the app could not be reached at ${path}: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (response.status < 200 || response.status >= 300) {
      return { ok: false, error: 'dispatch_failed', detail: `the app answered ${path} with HTTP ${response.status}${text ? `: ${text.slice(0, 300)}` : ''}` };
    }
    return { ok: true, contentType: response.headers.get('content-type') ?? '', text };
  };
}

export type BotClient = ReturnType<typeof createBotClient>;
