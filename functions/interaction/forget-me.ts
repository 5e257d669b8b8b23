import { forgetPerson } from '../../shared/domain/forget-me-queries.ts';
import { forgetButtonExpiredText, forgetReply } from '../../shared/domain/forget-me.ts';
import { buttonExpired } from '../../shared/slack/expiring-button.ts';
import { tombstoneId } from '../../shared/domain/forgotten.ts';
import type { InteractionDeps } from './orders.ts';
import type { BlockActionsPayload } from './schema.ts';

/** How long the answer waits for the runners' DMs and run-message edits; they go on after it. */
const noticeBudgetMs = 500;

/**
 * **Forget me** pressed (the button of `/coffee forget-me`, valid 5 minutes): forget the person
 * who pressed it, as things stand now (a run they joined since is checked again), and tell them
 * what was deleted, withdrawn and kept.
 */
export async function handleForgetMeConfirm(payload: BlockActionsPayload, deps: InteractionDeps, tell: (text: string) => Promise<void>): Promise<void> {
  if (buttonExpired(payload.actions[0]?.value, deps.now())) return tell(forgetButtonExpiredText);
  const now = deps.now();
  const { outcome, effectIds } = await deps.sql.begin((tx) =>
    forgetPerson(tx, { slackUserId: payload.user.id, tombstoneId: tombstoneId(), at: now, enqueue: (tx2, request) => deps.effects.enqueue(tx2, request) }),
  );
  deps.log.info('forget-me', { outcome: outcome.kind, withdrawn: outcome.kind === 'forgotten' ? outcome.withdrawn.length : 0 });
  if (effectIds.length > 0) await deps.effects.runSoon(effectIds, noticeBudgetMs);
  return tell(forgetReply(outcome));
}
