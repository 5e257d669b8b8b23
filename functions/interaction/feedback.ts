import type { Sql } from '../../shared/db/client.ts';
import type { RunStatus } from '../../shared/domain/run.ts';
import type { Rating } from '../../shared/domain/feedback-prompt.ts';
import { isRunId } from '../../shared/domain/run-queries.ts';
import type { InteractionDeps } from './orders.ts';
import type { BlockActionsPayload } from './schema.ts';

/**
 * Record a participant's rating, replacing an earlier one. Returns `not_found` / `not_completed`
 * unless the run exists and is done, `not_participant` unless the user had an active order in it,
 * and otherwise whether the stored rating changed (a repeated click counts once).
 */
async function recordRating(
  sql: Sql,
  args: { runId: string; slackUserId: string; rating: Rating; at: Date },
): Promise<'recorded' | 'unchanged' | 'not_participant' | 'not_completed' | 'not_found'> {
  const [run] = await sql<{ status: RunStatus; userId: string | null }[]>`
    select
      r.status,
      (select o.user_id
       from orders o
       join users u on u.id = o.user_id
       where o.run_id = r.id
         and o.status = 'active'
         and u.slack_user_id = ${args.slackUserId}
       limit 1) as user_id
    from runs r
    where r.id = ${args.runId}
  `;
  if (!run) return 'not_found';
  if (run.status !== 'completed') return 'not_completed';
  if (!run.userId) return 'not_participant';
  // `is distinct from`: only a new or changed rating writes, so a repeated click counts once.
  const rows = await sql`
    insert into run_feedback (run_id, user_id, rating, answered_at)
    values (${args.runId}, ${run.userId}, ${args.rating}, ${args.at})
    on conflict (run_id, user_id) do update set
      rating = excluded.rating,
      answered_at = excluded.answered_at
    where run_feedback.rating is distinct from excluded.rating
    returning 1
  `;
  return rows.length > 0 ? 'recorded' : 'unchanged';
}

/** The button for `rating` on the prompt (1–5, or an old 👍 / 👎): record it and observe it in `coffeebuddy_run_rating`. */
export const ratingButton =
  (rating: Rating) =>
  async (payload: BlockActionsPayload, deps: InteractionDeps, tell: (text: string) => Promise<void>): Promise<void> => {
    const action = payload.actions[0]!;
    const runId = action.value ?? '';
    // Not a uuid: no such run (and no query with a malformed id).
    if (!isRunId(runId)) {
      await tell("I can't find that coffee run.");
      return;
    }
    const outcome = await recordRating(deps.sql, { runId, slackUserId: payload.user.id, rating, at: deps.now() });
    deps.log.info('rating', { runId, outcome, rating });
    switch (outcome) {
      case 'not_found':
        return tell("I can't find that coffee run.");
      case 'not_completed':
        return tell('You can rate this run once it is done.');
      case 'not_participant':
        return tell('Only people who ordered in this run can rate it.');
      case 'recorded':
        deps.metrics.runRating.observe(rating);
        return tell(`Thanks, you rated this run ${rating}/5.`);
      case 'unchanged':
        return tell(`You already rated this run ${rating}/5.`);
    }
  };
