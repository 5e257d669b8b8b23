/** What CoffeeBuddy needs from Slack, and nothing more: handlers depend on this, not on the SDK. */

/** A Block Kit block; kept loose on purpose, the builders in each function shape them. */
export type Block = Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks?: Block[];
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

export interface SlackPort {
  postMessage(args: SlackMessage & { channel: string; threadTs?: string }): Promise<{ channel: string; ts: string }>;
  updateMessage(args: SlackMessage & { channel: string; ts: string }): Promise<void>;
  postEphemeral(args: SlackMessage & { channel: string; user: string }): Promise<void>;
  openView(args: { triggerId: string; view: Record<string, unknown> }): Promise<void>;
  openDirectMessage(userId: string): Promise<string>;
  getUser(userId: string): Promise<SlackUser | null>;
  respond(responseUrl: string, message: ResponseUrlMessage): Promise<void>;
}
