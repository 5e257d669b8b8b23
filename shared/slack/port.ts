import type { KnownBlock, View } from '@slack/types';
import { AppError } from '../errors.ts';

/** What CoffeeBuddy needs from Slack, and nothing more: handlers depend on this, not on the SDK. */

export interface SlackMessage {
  text: string;
  blocks?: KnownBlock[];
}

/**
 * Message metadata (https://api.slack.com/metadata/using): CoffeeBuddy tags every message it
 * posts with what it is, so a post whose outcome was unknown can be found again instead of
 * being posted twice.
 */
export interface MessageMetadata {
  eventType: string;
  payload: Record<string, string>;
}

/** A Slack user as CoffeeBuddy uses it. `timeZone` is an IANA name when Slack knows it. */
export interface SlackUser {
  id: string;
  name: string;
  timeZone: string | null;
  isAdmin: boolean;
}

/** A message for a `response_url` (https://api.slack.com/interactivity/handling#message_responses). */
export interface ResponseUrlMessage extends SlackMessage {
  responseType?: 'ephemeral' | 'in_channel';
  replaceOriginal?: boolean;
}

export interface PostedMessage {
  channel: string;
  ts: string;
}

export interface SlackPort {
  postMessage(args: SlackMessage & { channel: string; threadTs?: string; metadata?: MessageMetadata }): Promise<PostedMessage>;
  updateMessage(args: SlackMessage & { channel: string; ts: string }): Promise<void>;
  /** Delete the bot's own message; one already gone (`message_not_found`) counts as deleted. */
  deleteMessage(args: PostedMessage): Promise<void>;
  /** Only `user` sees it, in `channel` or, with `threadTs`, in that thread. */
  postEphemeral(args: SlackMessage & { channel: string; user: string; threadTs?: string }): Promise<void>;
  openView(args: { triggerId: string; view: View }): Promise<void>;
  openDirectMessage(userId: string): Promise<string>;
  getUser(userId: string): Promise<SlackUser | null>;
  /** Who created the channel (`conversations.info` → `creator`), or null when Slack cannot say. */
  getChannelCreator(channelId: string): Promise<string | null>;
  respond(responseUrl: string, message: ResponseUrlMessage): Promise<void>;
  /**
   * The bot's message in `channel` (or in the thread `threadTs`) posted at or after `since` whose
   * metadata matches, if any: how an uncertain post is checked before it is made again.
   */
  findMessage(args: { channel: string; threadTs?: string; since: Date; metadata: MessageMetadata }): Promise<PostedMessage | null>;
}

/**
 * Whether a failed call may still have taken effect, which decides what a retry may do:
 * `refused` (Slack answered an error: nothing happened), `rate_limited` (HTTP 429: nothing
 * happened, try after `retryAfterSeconds`), `uncertain` (timeout, network or 5xx: Slack may
 * have done it, so a retry of a post must look first).
 */
export type SlackFailure = 'refused' | 'rate_limited' | 'uncertain';

/** A Slack call that failed; `upstream`, retryable unless Slack refused it for good. */
export class SlackCallError extends AppError {
  readonly failure: SlackFailure;
  /** Slack's error string (`channel_not_found`, …) when it answered one. */
  readonly slackError: string | null;
  readonly retryAfterSeconds: number | null;

  constructor(
    method: string,
    failure: SlackFailure,
    options: { slackError?: string | null; retryAfterSeconds?: number | null; retryable?: boolean; cause?: unknown } = {},
  ) {
    const what = failure === 'refused' ? `failed: ${options.slackError ?? 'unknown_error'}` : failure === 'rate_limited' ? 'rate limited' : 'unavailable';
    super('upstream', `Slack ${method} ${what}`, { retryable: options.retryable ?? failure !== 'refused', cause: options.cause });
    this.failure = failure;
    this.slackError = options.slackError ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }
}

/**
 * Whether Slack refused a `views.open` / `views.push` for its `trigger_id`: never issued, used
 * before, or older than 3 s (https://docs.slack.dev/reference/methods/views.open). Nothing opened,
 * and only a new click or command brings a new trigger, so the user is asked for one.
 */
export function isTriggerRefusal(error: unknown): boolean {
  return error instanceof SlackCallError && ['invalid_trigger_id', 'exchanged_trigger_id', 'expired_trigger_id'].includes(error.slackError ?? '');
}
