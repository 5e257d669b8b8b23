import type { Button } from '@slack/types';
import type { Sql } from '../../shared/db/client.ts';
import type { ControlledRun } from '../../shared/domain/run-control.ts';
import { syncRunMessage } from '../../shared/domain/run-message-effect.ts';
import type { SlackMessage } from '../../shared/slack/port.ts';
import { mention } from '../../shared/slack/text.ts';
import { refusalFor, type InteractionDeps } from './orders.ts';
import { lockRun } from './queries.ts';
import { runActions } from '../../shared/slack/interaction-ids.ts';
import { upsertUser } from '../../shared/domain/user-channel-queries.ts';

/**
 * How long a volunteer change waits for the run-message refresh before answering (as orders do):
 * Slack needs the answer within 3 s, and the refresh goes on in the background after this.
 */
const refreshBudgetMs = 500;

type Answer = (message: SlackMessage) => Promise<void>;
interface Who {
  slackUserId: string;
  slackTeamId: string;
}

/** Who volunteered for the run, in click order, and whether `slackUserId` has an active order. */
async function volunteerState(sql: Sql, runId: string, slackUserId: string): Promise<{ volunteers: string[]; hasOrder: boolean }> {
  const volunteers = await sql<{ slackUserId: string }[]>`
    select u.slack_user_id from run_volunteers v join users u on u.id = v.user_id
    where v.run_id = ${runId}
    order by v.created_at, u.slack_user_id`;
  const [order] = await sql`
    select 1 from orders o join users u on u.id = o.user_id
    where o.run_id = ${runId} and u.slack_user_id = ${slackUserId} and o.status = 'active'
    limit 1`;
  return { volunteers: volunteers.map((v) => v.slackUserId), hasOrder: Boolean(order) };
}

const button = (text: string, actionId: string, runId: string, style?: 'primary' | 'danger'): Button => ({
  type: 'button',
  text: { type: 'plain_text', text },
  action_id: actionId,
  value: runId,
  ...(style ? { style } : {}),
});

/** An ephemeral with one line of text and its buttons. */
function prompt(text: string, buttons: Button[]): SlackMessage {
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'actions', elements: buttons },
    ],
  };
}

/**
 * "I'll go" on the run message. The first volunteer with an order is recorded at once; anyone
 * else is first told where they would stand and asked: someone already volunteered (they'd be
 * next in line), or they have no order (they'd carry the others' orders all the same).
 */
export async function askToVolunteer(run: ControlledRun, who: Who, deps: InteractionDeps, answer: Answer): Promise<void> {
  if (run.status !== 'open') return answer({ text: refusalFor(run)! });
  const { volunteers, hasOrder } = await volunteerState(deps.sql, run.id, who.slackUserId);
  if (volunteers.includes(who.slackUserId)) {
    return answer(prompt(standing(volunteers, who.slackUserId, 'already'), [button("I can't go after all", runActions.withdrawVolunteer, run.id)]));
  }
  if (volunteers.length) {
    const unless = volunteers.length === 1 ? "they can't" : 'none of them can';
    const text = `${listed(volunteers)} already volunteered. Be next in line? You'd go if ${unless}.`;
    return answer(prompt(text, [button('Be next in line', runActions.volunteerToo, run.id, 'primary')]));
  }
  if (!hasOrder) {
    const text = "You haven't ordered in this run. Volunteer anyway? You'd carry everyone's orders when the run closes.";
    return answer(prompt(text, [button('Volunteer anyway', runActions.volunteerAnyway, run.id, 'primary')]));
  }
  return confirmVolunteer(run, who, deps, answer);
}

/** "Volunteer anyway" or "Be next in line": record the volunteer, refresh the run message, and say where they stand. */
export async function confirmVolunteer(run: ControlledRun, who: Who, deps: InteractionDeps, answer: Answer): Promise<void> {
  const result = await changeVolunteer(run, who, 'add', deps);
  if (!result) return answer({ text: refusalFor({ status: 'closed' })! });
  if (result.effectId) await deps.effects.runSoon([result.effectId], refreshBudgetMs);
  const { volunteers, hasOrder } = await volunteerState(deps.sql, run.id, who.slackUserId);
  const order = hasOrder ? '' : ' Want a coffee too? *Place order*.';
  return answer(
    prompt(`Thanks! ${standing(volunteers, who.slackUserId, 'now')}${order}`, [button("I can't go after all", runActions.withdrawVolunteer, run.id)]),
  );
}

/** Where a volunteer stands: going when the run closes, or next in line after those before them. */
function standing(volunteers: readonly string[], slackUserId: string, when: 'already' | 'now'): string {
  const ahead = volunteers.slice(0, Math.max(0, volunteers.indexOf(slackUserId)));
  if (ahead.length === 0) return when === 'already' ? "You've already volunteered: you're going when the run closes." : "You're going when the run closes.";
  const after = `you go if ${ahead.length === 1 ? `${mention(ahead[0]!)} can't` : `none of ${listed(ahead)} can`}.`;
  return when === 'already' ? `You're already next in line: ${after}` : `You're next in line: ${after}`;
}

/** "<@a>", "<@a> and <@b>", "<@a>, <@b> and <@c>". */
function listed(ids: readonly string[]): string {
  const names = ids.map(mention);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
}

/** "I can't go after all": take back volunteering while the run is open. */
export async function withdrawVolunteer(run: ControlledRun, who: Who, deps: InteractionDeps, answer: Answer): Promise<void> {
  if (run.status !== 'open') {
    const after = run.runnerSlackUserId === who.slackUserId ? " You're the runner now: use *I can't go* in my DM." : '';
    return answer({ text: `This run is no longer open, so volunteering can't be withdrawn here.${after}` });
  }
  const result = await changeVolunteer(run, who, 'remove', deps);
  if (!result) return answer({ text: refusalFor({ status: 'closed' })! });
  if (!result.effectId) return answer({ text: "You haven't volunteered for this run, so there's nothing to withdraw." });
  await deps.effects.runSoon([result.effectId], refreshBudgetMs);
  return answer({ text: "Got it, you're no longer volunteering. The runner is picked by the fairness rule when the run closes." });
}

/**
 * Add or remove the user's volunteering under the run's row lock (so it never changes after close)
 * with the run-message refresh in the same transaction. Null if the run is no longer open; no
 * effect id if nothing changed.
 */
async function changeVolunteer(run: ControlledRun, who: Who, change: 'add' | 'remove', deps: InteractionDeps): Promise<{ effectId: string | null } | null> {
  const result = await deps.sql.begin(async (tx) => {
    if ((await lockRun(tx, run.id)) !== 'open') return null;
    const userId = await upsertUser(tx, who, deps.now());
    const rows =
      change === 'add'
        ? await tx`insert into run_volunteers (run_id, user_id) values (${run.id}, ${userId}) on conflict do nothing returning run_id`
        : await tx`delete from run_volunteers where run_id = ${run.id} and user_id = ${userId} returning run_id`;
    if (rows.length === 0) return { effectId: null };
    return { effectId: await deps.effects.enqueue(tx, syncRunMessage(run.id)) };
  });
  deps.log.info(`volunteer ${change}`, { runId: run.id, user: who.slackUserId, changed: Boolean(result?.effectId) });
  return result;
}
