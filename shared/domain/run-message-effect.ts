import { z } from 'zod';
import type { Sql } from '../db/client.ts';
import { markLeasedDone, type EffectDeps, type EffectRequest } from '../effects/effects.ts';
import type { LeasedOutcome } from '../effects/worker.ts';
import { forgetRefusedAttempt, postOnce, runPost } from '../effects/slack-posts.ts';
import type { FairnessDefaults } from '../config.ts';
import type { PostedMessage, SlackPort } from '../slack/port.ts';
import { finishedRunMessage, runMessage, type RunMessageInput, type RunOutcome } from './run-message.ts';
import { findRunView, listActiveOrders, type RunView } from './run-queries.ts';

/** The effect that makes a run's message in the channel show the run as it is now. */
export const syncRunMessageKind = 'run_message.sync';

const payloadSchema = z.object({ runId: z.uuid() });

/**
 * Ask for the run message to be brought up to date (posted the first time). Every change to a run
 * asks; asks while one is pending coalesce, so a burst of thirty orders is one or two edits.
 */
export function syncRunMessage(runId: string): EffectRequest {
  return { kind: syncRunMessageKind, key: `run_message:${runId}`, scope: runId, payload: { runId } };
}

/**
 * Render the run message from the database as it is now (open: live orders and buttons; closed,
 * done or canceled: frozen) and post or edit it. Because it renders the present rather than a
 * change, running it late, twice or out of turn still leaves the message true.
 */
export async function runSyncRunMessage(payload: unknown, deps: EffectDeps<FairnessDefaults>): Promise<void> {
  const { runId } = payloadSchema.parse(payload);
  // Both reads at once (two connections of the pool): a refresh follows every order, so its
  // latency is what the person ordering waits for.
  const [run, orders] = await Promise.all([findRunView(deps.sql, runId), listActiveOrders(deps.sql, runId)]);
  // A run removed meanwhile (channel data reset) or one that never started has no message to keep.
  if (!run || run.status === 'failed') return;
  const input = { ...run, runId, orders, fairnessWindowRuns: run.fairnessWindowRuns ?? deps.config.FAIRNESS_WINDOW_RUNS };
  const outcome = outcomeOf(run);
  const message = outcome ? finishedRunMessage(input, outcome) : runMessage(input);
  const posted = await postOnce(deps.sql, deps.slack, { key: runPost(runId, 'run_message'), channel: run.slackChannelId, message, now: deps.now() });
  if (posted.ts !== run.messageTs) await setRunMessage(deps.sql, runId, posted);
}

function outcomeOf(run: RunView): RunOutcome | null {
  switch (run.status) {
    case 'closed':
      return { kind: 'closed', runnerSlackUserId: run.runnerSlackUserId };
    case 'completed':
      return { kind: 'completed', runnerSlackUserId: run.runnerSlackUserId ?? run.initiatorSlackUserId };
    case 'canceled':
      return { kind: 'canceled', canceledBySlackUserId: run.canceledBy ?? run.initiatorSlackUserId };
    default:
      return null;
  }
}

/** Remember where the run message is, so buttons and later edits find it. */
async function setRunMessage(sql: Sql, runId: string, message: { channel: string; ts: string }): Promise<void> {
  await sql`update runs set message_channel = ${message.channel}, message_ts = ${message.ts} where id = ${runId}`;
}

/**
 * The first attempt at a new run's message, made by the command that started the run
 * (`LeasedEffectsPort.runLeased`): what `runSyncRunMessage` would read is what the command just wrote
 * (an open run, no orders, no volunteers), and its attempt record was written with the run, so
 * the attempt is the post and one statement recording where it is. A failure is handled as
 * `postOnce` does (a refusal drops the attempt record; an uncertain outcome keeps it, so the
 * retry, `runSyncRunMessage`, looks for the message before posting again).
 */
export async function postNewRunMessage(
  deps: { sql: Sql; slack: SlackPort; now: Date },
  effect: { id: string; generation: number },
  run: RunMessageInput & { slackChannelId: string },
): Promise<LeasedOutcome> {
  const { sql } = deps;
  const key = runPost(run.runId, 'run_message');
  let posted: PostedMessage;
  try {
    posted = await deps.slack.postMessage({ channel: run.slackChannelId, ...runMessage(run), metadata: key.metadata });
  } catch (error) {
    await forgetRefusedAttempt(sql, key, error);
    throw error;
  }
  const [row] = await sql<{ done: boolean }[]>`
    with recorded as (
      update slack_messages set channel = ${posted.channel}, ts = ${posted.ts}
      where post_key = ${key.value}
    ),
    located as (
      update runs set message_channel = ${posted.channel}, message_ts = ${posted.ts} where id = ${run.runId}
    ),
    done as (${markLeasedDone(sql, effect, deps.now)})
    select exists (select 1 from done) as done
  `;
  return row!.done ? 'recorded-done' : 'performed';
}
