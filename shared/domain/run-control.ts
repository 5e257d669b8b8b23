import { runEvent } from '../events/cloud-event.ts';
import type { Pool, Sql } from '../db/client.ts';
import type { Emit } from '../events/outbox.ts';
import type { SlackPort } from '../slack/port.ts';
import type { SlackMessage } from '../slack/port.ts';
import { mention, slackDateTime } from '../slack/text.ts';
import { runActions } from './run-message.ts';
import { isRunId } from './run-queries.ts';
import type { RunRow, RunStatus } from './run.ts';

/** A run as the close and cancel commands see it. */
export interface ControlledRun extends RunRow {
  adminSlackUserIds: string[];
  /** When ordering closed; null while open. */
  closedAt: Date | null;
}

/** The first run matching `filter` (a fragment over `r` runs and `c` channels), with who may control it. */
async function findOne(sql: Sql, filter: ReturnType<Sql>): Promise<ControlledRun | undefined> {
  const [row] = await sql<ControlledRun[]>`
    select
      r.id, c.slack_channel_id, r.status, i.slack_user_id as initiator_slack_user_id,
      ru.slack_user_id as runner_slack_user_id, c.admin_slack_user_ids, r.closed_at
    from runs r
    join channels c on c.id = r.channel_id
    join users i on i.id = r.initiator_id
    left join users ru on ru.id = r.runner_id
    ${filter}
    limit 1
  `;
  return row;
}

/** The run with that id in that Slack channel (ids from buttons are checked against the channel). */
export async function findControlledRun(sql: Sql, runId: string, slackChannelId: string): Promise<ControlledRun | undefined> {
  if (!isRunId(runId)) return undefined;
  return findOne(sql, sql`where r.id = ${runId} and c.slack_channel_id = ${slackChannelId}`);
}

/** The run with that id, in whichever channel (for the runner's DM buttons, which check the clicking user is its runner). */
export async function findRunById(sql: Sql, runId: string): Promise<ControlledRun | undefined> {
  return isRunId(runId) ? findOne(sql, sql`where r.id = ${runId}`) : undefined;
}

/** The channel's current run for `/coffee close` and `/coffee cancel`: the open one, else the latest closed one. */
export async function findCurrentRun(sql: Sql, slackChannelId: string): Promise<ControlledRun | undefined> {
  return findOne(
    sql,
    sql`where c.slack_channel_id = ${slackChannelId} and r.status in ('open', 'closed') order by (r.status = 'open') desc, r.started_at desc`,
  );
}

/**
 * Whether the user administers this channel for CoffeeBuddy: listed in the channel's admin ids, a
 * Slack workspace admin or owner (`users.info`), or the channel's creator (`conversations.info`).
 * A Slack outage counts as "not an admin".
 */
export async function isChannelAdmin(
  slack: SlackPort,
  run: Pick<ControlledRun, 'adminSlackUserIds' | 'slackChannelId'>,
  slackUserId: string,
): Promise<boolean> {
  if (run.adminSlackUserIds.includes(slackUserId) || (await isWorkspaceAdmin(slack, slackUserId))) return true;
  return (await slack.getChannelCreator(run.slackChannelId).catch(() => null)) === slackUserId;
}

/** Whether Slack says the user is a workspace admin or owner (`users.info`); a Slack outage counts as "no". */
export async function isWorkspaceAdmin(slack: SlackPort, slackUserId: string): Promise<boolean> {
  try {
    return (await slack.getUser(slackUserId))?.isAdmin ?? false;
  } catch {
    return false;
  }
}

/**
 * Record a close request and its event, once: concurrent clicks race on the conditional update and
 * only one wins. close-run does the rest when the event arrives.
 */
export async function requestClose(
  sql: Pool,
  emit: Emit,
  run: ControlledRun,
  requestedBySlackUserId: string,
  now: Date,
): Promise<'requested' | 'already_requested' | 'not_open'> {
  return sql.begin(async (tx) => {
    const rows = await tx`
      update runs set close_requested_at = ${now}, updated_at = ${now}
      where id = ${run.id} and status = 'open' and close_requested_at is null
      returning id
    `;
    if (rows.length === 0) {
      const [current] = await tx<{ status: RunStatus }[]>`select status from runs where id = ${run.id}`;
      return current?.status === 'open' ? ('already_requested' as const) : ('not_open' as const);
    }
    await emit(tx, runEvent('com.coffeebuddy.run.close_requested', { runId: run.id, slackChannelId: run.slackChannelId, requestedBySlackUserId }));
    return 'requested' as const;
  });
}

/** Cancel an open or closed run with its event; a completed (or already canceled) run stays as it is. */
export async function cancelRun(sql: Pool, emit: Emit, run: ControlledRun, canceledBySlackUserId: string, now: Date): Promise<'canceled' | 'not_cancelable'> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ previousStatus: 'open' | 'closed' }[]>`
      update runs r set status = 'canceled', canceled_at = ${now}, canceled_by = ${canceledBySlackUserId}, updated_at = ${now}
      from (select id, status from runs where id = ${run.id} for update) before
      where r.id = before.id and before.status in ('open', 'closed')
      returning before.status as previous_status
    `;
    if (!row) return 'not_cancelable' as const;
    await emit(
      tx,
      runEvent('com.coffeebuddy.run.canceled', {
        runId: run.id,
        slackChannelId: run.slackChannelId,
        canceledBySlackUserId,
        previousStatus: row.previousStatus,
      }),
    );
    return 'canceled' as const;
  });
}

/** Who may close (initiator or admin) and cancel (initiator, runner or admin); a refusal in words, or null. */
export async function refuseControl(slack: SlackPort, run: ControlledRun, slackUserId: string, action: 'close' | 'cancel'): Promise<string | null> {
  if (run.initiatorSlackUserId === slackUserId) return null;
  if (action === 'cancel' && run.runnerSlackUserId === slackUserId) return null;
  if (await isChannelAdmin(slack, run, slackUserId)) return null;
  return action === 'close'
    ? `Only ${mention(run.initiatorSlackUserId)} (who started this run) or a channel admin can close it.`
    : `Only ${mention(run.initiatorSlackUserId)} (who started this run), the runner, or a channel admin can cancel it.`;
}

/**
 * The confirmation before canceling a run whose runner is already assigned: which run (who is
 * going, when it closed) and a "Cancel the run" danger button. `noOpenRun` when `/coffee cancel`
 * found only a closed run, so the user knows it isn't the one they may have had in mind.
 */
export function cancelPrompt(run: ControlledRun, options: { noOpenRun?: boolean } = {}): SlackMessage {
  const closed = run.closedAt ? ` closed ${slackDateTime(run.closedAt)}` : ' closed';
  const going = run.runnerSlackUserId ? `${mention(run.runnerSlackUserId)} is going` : 'nobody is going';
  const which = options.noOpenRun
    ? `There's no open coffee run here. The latest run, started by ${mention(run.initiatorSlackUserId)}, was${closed}, and ${going}.`
    : `This run was${closed}, and ${going}.`;
  const dm = run.runnerSlackUserId ? ' The runner is told in a DM that there is no need to go.' : '';
  const text = `${which} Cancel it?${dm}`;
  return {
    text,
    blocks: [
      { type: 'section', block_id: 'cancel.prompt', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: 'cancel.actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Cancel the run' }, style: 'danger', action_id: runActions.confirmCancel, value: run.id },
        ],
      },
    ],
  };
}
