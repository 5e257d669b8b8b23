import type { Sql } from '../db/client.ts';
import { SlackCallError, type PostedMessage, type SlackMessage, type SlackPort } from '../slack/port.ts';

/** A message CoffeeBuddy posts once per run: the run message, the summary, a runner DM, a notice. */
export type PostKind =
  | 'run_message'
  | 'summary'
  | `runner_dm:${string}`
  | 'canceled_notice'
  | `canceled_dm:${string}`
  | `reminder:${string}`
  | 'last_call'
  | 'pickup_passed'
  | 'reset_notice'
  | 'done_notice'
  | 'feedback_prompt'
  | 'stuck_notice'
  | `cup_withdrawn:${string}`;

/** The `event_type` of the metadata on every message CoffeeBuddy posts. */
export const postMetadataType = 'coffeebuddy_post';

declare const postKeyBrand: unique symbol;

/**
 * Which post `postOnce` makes once, like an idempotency record's key: an opaque value built by
 * `runPost` or `channelPost`, with when its record may be deleted. A run's posts go with their run
 * (retention and a channel reset delete them by run); a post that belongs to no run carries its
 * own expiry, after which the retention tick deletes its record.
 */
export interface PostKey {
  readonly [postKeyBrand]: true;
  /** `slack_messages.post_key`. */
  readonly value: string;
  /** The run it belongs to (its records go with it); null for a channel's post. */
  readonly runId: string | null;
  readonly kind: PostKind;
  /** When its record may be deleted; null: with its run. */
  readonly expiresAt: Date | null;
  /** What the message carries, by which an uncertain post is found again. */
  readonly metadata: { eventType: string; payload: Record<string, string> };
}

/** A run's post of this kind: once per run, its record kept as long as the run. */
export function runPost(runId: string, kind: PostKind): PostKey {
  return postKey({ value: `run:${runId}:${kind}`, runId, kind, expiresAt: null, metadata: { eventType: postMetadataType, payload: { run_id: runId, kind } } });
}

/**
 * A channel's post that belongs to no run (a reset notice): once per `id` (what it answers, like an
 * event id) in the channel, its record kept until `expiresAt`, which must outlast every retry of it.
 */
export function channelPost(slackChannelId: string, kind: PostKind, id: string, expiresAt: Date): PostKey {
  const value = `channel:${slackChannelId}:${kind}:${id}`;
  return postKey({ value, runId: null, kind, expiresAt, metadata: { eventType: postMetadataType, payload: { post_key: value, kind } } });
}

/** Only the two constructors above make a key. */
function postKey(fields: Omit<PostKey, typeof postKeyBrand>): PostKey {
  return fields as PostKey;
}

/** Everything posted for a run so far, by kind (posts whose outcome is still unknown have no ts). */
export async function findPosted(sql: Sql, runId: string): Promise<Map<string, PostedMessage>> {
  const rows = await sql<{ kind: string; channel: string; ts: string }[]>`
    select kind, channel, ts from slack_messages where run_id = ${runId} and ts is not null`;
  return new Map(rows.map((row) => [row.kind, { channel: row.channel, ts: row.ts }]));
}

/**
 * Post the message this key names exactly once, or bring the one posted before up to date.
 *
 * A post is never blindly retried: the attempt is recorded (committed) before the call, and the
 * message carries the key's metadata. If Slack answers, the ts is recorded; if Slack refuses, the
 * record is dropped; if the outcome is unknown (timeout, 5xx), the record stays, and the next
 * attempt first looks for the message in the channel (or thread) by its metadata.
 * Returns where the message is and whether it was posted now.
 */
export async function postOnce(
  sql: Sql,
  slack: SlackPort,
  args: { key: PostKey; channel: string; threadTs?: string; message: SlackMessage; now: Date },
): Promise<PostedMessage & { posted: boolean }> {
  const { key } = args;
  const [earlier] = await sql<{ channel: string; ts: string | null; attemptedAt: Date }[]>`
    select channel, ts, attempted_at from slack_messages where post_key = ${key.value}`;
  if (earlier?.ts) {
    await slack.updateMessage({ channel: earlier.channel, ts: earlier.ts, ...args.message });
    return { channel: earlier.channel, ts: earlier.ts, posted: false };
  }
  if (earlier) {
    // A minute of slack for clock skew between us and Slack.
    const since = new Date(earlier.attemptedAt.getTime() - 60_000);
    const found = await slack.findMessage({ channel: earlier.channel, ...(args.threadTs ? { threadTs: args.threadTs } : {}), since, metadata: key.metadata });
    if (found) {
      await recordTs(sql, key, found);
      await slack.updateMessage({ ...found, ...args.message });
      return { ...found, posted: false };
    }
  }
  await sql`
    insert into slack_messages (post_key, run_id, kind, channel, thread_ts, attempted_at, expires_at)
    values (${key.value}, ${key.runId}, ${key.kind}, ${args.channel}, ${args.threadTs ?? null}, ${args.now}, ${key.expiresAt})
    on conflict (post_key) do update set attempted_at = excluded.attempted_at, channel = excluded.channel, expires_at = excluded.expires_at
  `;
  let posted: PostedMessage;
  try {
    posted = await slack.postMessage({
      channel: args.channel,
      ...(args.threadTs ? { threadTs: args.threadTs } : {}),
      ...args.message,
      metadata: key.metadata,
    });
  } catch (error) {
    await forgetRefusedAttempt(sql, key, error);
    throw error;
  }
  await recordTs(sql, key, posted);
  return { ...posted, posted: true };
}

/** After a failed post: a refusal means nothing was posted, so its attempt record goes; an uncertain outcome keeps it. */
export async function forgetRefusedAttempt(sql: Sql, key: PostKey, error: unknown): Promise<void> {
  if (error instanceof SlackCallError && error.failure !== 'uncertain') {
    await sql`delete from slack_messages where post_key = ${key.value} and ts is null`;
  }
}

async function recordTs(sql: Sql, key: PostKey, posted: PostedMessage): Promise<void> {
  await sql`update slack_messages set channel = ${posted.channel}, ts = ${posted.ts} where post_key = ${key.value}`;
}
