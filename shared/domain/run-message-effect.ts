import { z } from 'zod';
import type { Sql } from '../db/client.ts';
import type { EffectDeps, EffectRequest } from '../effects/effects.ts';
import { postOnce } from '../effects/slack-posts.ts';
import { finishedRunMessage, runMessage, type RunOutcome } from './run-message.ts';
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
export async function runSyncRunMessage(payload: unknown, deps: EffectDeps): Promise<void> {
  const { runId } = payloadSchema.parse(payload);
  const run = await findRunView(deps.sql, runId);
  // A run removed meanwhile (channel data reset) or one that never started has no message to keep.
  if (!run || run.status === 'failed') return;
  const orders = await listActiveOrders(deps.sql, runId);
  const input = { ...run, runId, orders };
  const outcome = outcomeOf(run);
  const message = outcome ? finishedRunMessage(input, outcome) : runMessage(input);
  const posted = await postOnce(deps.sql, deps.slack, { runId, kind: 'run_message', channel: run.slackChannelId, message, now: deps.now() });
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
