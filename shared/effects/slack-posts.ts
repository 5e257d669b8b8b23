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
  | 'stuck_notice';

/** The `event_type` of the metadata on every message CoffeeBuddy posts. */
export const postMetadataType = 'coffeebuddy_post';

/** Everything posted for a run so far, by kind (posts whose outcome is still unknown have no ts). */
export async function findPosted(sql: Sql, runId: string): Promise<Map<string, PostedMessage>> {
  const rows = await sql<{ kind: string; channel: string; ts: string }[]>`
    select kind, channel, ts from slack_messages where run_id = ${runId} and ts is not null`;
  return new Map(rows.map((row) => [row.kind, { channel: row.channel, ts: row.ts }]));
}

/**
 * Post a run's message of this kind exactly once, or bring the one posted before up to date.
 *
 * A post is never blindly retried: the attempt is recorded (committed) before the call, and the
 * message carries metadata naming the run and kind. If Slack answers, the ts is recorded; if Slack
 * refuses, the record is dropped; if the outcome is unknown (timeout, 5xx), the record stays, and
 * the next attempt first looks for the message in the channel (or thread) by its metadata.
 * Returns where the message is and whether it was posted now.
 */
export async function postOnce(
  sql: Sql,
  slack: SlackPort,
  args: { runId: string; kind: PostKind; channel: string; threadTs?: string; message: SlackMessage; now: Date },
): Promise<PostedMessage & { posted: boolean }> {
  const { runId, kind } = args;
  const [earlier] = await sql<{ channel: string; ts: string | null; attemptedAt: Date }[]>`
    select channel, ts, attempted_at from slack_messages where run_id = ${runId} and kind = ${kind}`;
  if (earlier?.ts) {
    await slack.updateMessage({ channel: earlier.channel, ts: earlier.ts, ...args.message });
    return { channel: earlier.channel, ts: earlier.ts, posted: false };
  }
  const metadata = postMetadata(runId, kind);
  if (earlier) {
    // A minute of slack for clock skew between us and Slack.
    const since = new Date(earlier.attemptedAt.getTime() - 60_000);
    const found = await slack.findMessage({ channel: earlier.channel, ...(args.threadTs ? { threadTs: args.threadTs } : {}), since, metadata });
    if (found) {
      await recordTs(sql, runId, kind, found);
      await slack.updateMessage({ ...found, ...args.message });
      return { ...found, posted: false };
    }
  }
  await sql`
    insert into slack_messages (run_id, kind, channel, thread_ts, attempted_at)
    values (${runId}, ${kind}, ${args.channel}, ${args.threadTs ?? null}, ${args.now})
    on conflict (run_id, kind) do update set attempted_at = excluded.attempted_at, channel = excluded.channel
  `;
  let posted: PostedMessage;
  try {
    posted = await slack.postMessage({
      channel: args.channel,
      ...(args.threadTs ? { threadTs: args.threadTs } : {}),
      ...args.message,
      metadata,
    });
  } catch (error) {
    await forgetRefusedAttempt(sql, runId, kind, error);
    throw error;
  }
  await recordTs(sql, runId, kind, posted);
  return { ...posted, posted: true };
}

/** The metadata every post of a run carries, by which an uncertain post is found again. */
export function postMetadata(runId: string, kind: PostKind) {
  return { eventType: postMetadataType, payload: { run_id: runId, kind } };
}

/** After a failed post: a refusal means nothing was posted, so its attempt record goes; an uncertain outcome keeps it. */
export async function forgetRefusedAttempt(sql: Sql, runId: string, kind: PostKind, error: unknown): Promise<void> {
  if (error instanceof SlackCallError && error.failure !== 'uncertain') {
    await sql`delete from slack_messages where run_id = ${runId} and kind = ${kind} and ts is null`;
  }
}

async function recordTs(sql: Sql, runId: string, kind: PostKind, posted: PostedMessage): Promise<void> {
  await sql`update slack_messages set channel = ${posted.channel}, ts = ${posted.ts} where run_id = ${runId} and kind = ${kind}`;
}
