import { z } from 'zod';
import { findRunView } from '../../shared/domain/run-queries.ts';
import type { EffectDeps } from '../../shared/effects/effects.ts';
import { postOnce, runPost } from '../../shared/effects/slack-posts.ts';
import { isStuck } from '../../shared/events/stuck-runs.ts';
import { stuckNotice } from './messages.ts';

const payload = z.object({ runId: z.uuid(), step: z.enum(['close', 'runner']) });

/**
 * The effect of a run newly stuck (admin parked the dead letter of its close or runner
 * assignment): its thread is told, once, that it needs an operator. Not when an operator replayed
 * the letter before this ran, or the run ended meanwhile.
 */
export async function postStuckNotice(raw: unknown, deps: EffectDeps): Promise<void> {
  const { runId, step } = payload.parse(raw);
  const run = await findRunView(deps.sql, runId);
  if (!run?.messageChannel || !run.messageTs || !(await isStuck(deps.sql, runId))) {
    deps.log.info('run no longer stuck, or has no thread; no notice', { runId });
    return;
  }
  await postOnce(deps.sql, deps.slack, {
    key: runPost(runId, 'stuck_notice'),
    channel: run.messageChannel,
    threadTs: run.messageTs,
    message: { text: stuckNotice(step) },
    now: deps.now(),
  });
}
