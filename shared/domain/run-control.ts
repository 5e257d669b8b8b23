import { runEvent } from '../events/cloud-event.ts';
import type { Pool, Sql } from '../db/client.ts';
import type { Emit } from '../events/outbox.ts';
import type { SlackPort } from '../slack/port.ts';
import type { SlackMessage } from '../slack/port.ts';
import { mention, slackDateTime } from '../slack/text.ts';
import { runName } from './run-life.ts';
import { isRunId } from './run-queries.ts';
import type { RunRow, RunStatus } from './run.ts';
import { runActions } from '../slack/interaction-ids.ts';

/** A run as the close and cancel commands see it. */
export interface ControlledRun extends RunRow {
  adminSlackUserIds: string[];
  /** When ordering closed; null while open. */
  closedAt: Date | null;
  note: string;
  pickupAt: Date | null;
  timeZone: string;
}

/** The first run matching `filter` (a fragment over `r` runs and `c` channels), with who may control it. */
async function findOne(sql: Sql, filter: ReturnType<Sql>): Promise<ControlledRun | undefined> {
  const [row] = await sql<ControlledRun[]>`
    select
      r.id, c.slack_channel_id, r.status, i.slack_user_id as initiator_slack_user_id,
      ru.slack_user_id as runner_slack_user_id, c.admin_slack_user_ids, r.closed_at,
      r.note, r.pickup_at, r.time_zone
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

/**
 * The channel's current run for `/coffee close` and `/coffee cancel`: the open one, else one closed
 * today (in the run's zone) whose runner may still be on the way. A closed run from an earlier day
 * is history, not something to cancel: canceling it would rewrite the fairness record.
 */
export async function findCurrentRun(sql: Sql, slackChannelId: string, now: Date): Promise<ControlledRun | undefined> {
  return findOne(
    sql,
    sql`
      where c.slack_channel_id = ${slackChannelId}
        and (r.status = 'open'
          or (r.status = 'closed' and (r.closed_at at time zone r.time_zone)::date = (${now}::timestamptz at time zone r.time_zone)::date))
      order by (r.status = 'open') desc, r.closed_at desc`,
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
      update runs set close_requested_at = ${now}, close_requested_by = ${requestedBySlackUserId}, updated_at = ${now}
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

/** What whoever closed a run is told, from the button or `/coffee close`: the close was asked for, or already had been. */
export const closeReplies = {
  requested: 'Closing the run: the runner will be announced here in a moment.',
  alreadyRequested: 'This run is already closing.',
} as const;

/** What whoever canceled a run is told, from a button, `/coffee cancel` or `/coffee admin disable`. */
export const canceledText = 'The run is canceled; everyone who ordered is told in its thread.';

/** Cancel an open or closed run with its event; a completed (or already canceled) run stays as it is. */
export async function cancelRun(sql: Pool, emit: Emit, run: ControlledRun, canceledBySlackUserId: string, now: Date): Promise<'canceled' | 'not_cancelable'> {
  return sql.begin((tx) => cancelRunIn(tx, emit, run, canceledBySlackUserId, now));
}

/** {@link cancelRun} inside the caller's transaction (disabling a channel cancels its open run with the change). */
export async function cancelRunIn(tx: Sql, emit: Emit, run: ControlledRun, canceledBySlackUserId: string, now: Date): Promise<'canceled' | 'not_cancelable'> {
  const [row] = await tx<{ previousStatus: 'open' | 'closed' }[]>`
    update runs r set status = 'canceled', canceled_at = ${now}, canceled_by = ${canceledBySlackUserId}, updated_at = ${now}
    from (select id, status from runs where id = ${run.id} for update) before
    where r.id = before.id and before.status in ('open', 'closed')
    returning before.status as previous_status
  `;
  if (!row) return 'not_cancelable';
  await emit(
    tx,
    runEvent('com.coffeebuddy.run.canceled', {
      runId: run.id,
      slackChannelId: run.slackChannelId,
      canceledBySlackUserId,
      previousStatus: row.previousStatus,
    }),
  );
  return 'canceled';
}

/** The channel's open run, if there is one, with who may control it. */
export async function findOpenControlledRun(sql: Sql, slackChannelId: string): Promise<ControlledRun | undefined> {
  return findOne(sql, sql`where c.slack_channel_id = ${slackChannelId} and r.status = 'open'`);
}

/** What people call an open run, with who started it: "(*Lobby*, pickup 10:30), started by @ana". */
export function openRunText(run: ControlledRun): string {
  return `(${runName(run)}), started by ${mention(run.initiatorSlackUserId)}`;
}

/** Who may close (initiator or admin) and cancel (initiator, runner or admin); a refusal in words, or null. */
export async function refuseControl(slack: SlackPort, run: ControlledRun, slackUserId: string, action: 'close' | 'cancel'): Promise<string | null> {
  if (run.initiatorSlackUserId === slackUserId) return null;
  if (action === 'cancel' && run.runnerSlackUserId === slackUserId) return null;
  if (await isChannelAdmin(slack, run, slackUserId)) return null;
  return `Only ${whoMayControl(run, action)} can ${action} it.`;
}

/** Who may close or cancel a run, by name: "<@U1> (who started it), <@U2> (its runner) or a channel admin". */
function whoMayControl(run: ControlledRun, action: 'close' | 'cancel'): string {
  const runner = action === 'cancel' && run.runnerSlackUserId && run.runnerSlackUserId !== run.initiatorSlackUserId;
  return `${mention(run.initiatorSlackUserId)} (who started it)${runner ? `, ${mention(run.runnerSlackUserId!)} (its runner)` : ''} or a channel admin`;
}

/** A closed run in words: "(*Lobby*, pickup 10:30) was started by @ana and closed at 10:20; @ben is going". */
function closedRunText(run: ControlledRun): string {
  const closed = run.closedAt ? ` and closed at ${slackDateTime(run.closedAt, '{time}')}` : '';
  const going = run.runnerSlackUserId ? `${mention(run.runnerSlackUserId)} is going` : 'nobody is going';
  return `(${runName(run)}) was started by ${mention(run.initiatorSlackUserId)}${closed}; ${going}`;
}

/**
 * `/coffee cancel` when no run is open: with a run closed today, which one it is and, for whoever
 * may cancel it, the confirmation; else that there is nothing to cancel and what to do instead.
 */
export async function noOpenRunToCancel(slack: SlackPort, run: ControlledRun | undefined, slackUserId: string): Promise<SlackMessage> {
  if (!run) {
    return {
      text: "There's no open coffee run here, so there's nothing to cancel. Start one with `/coffee 10:30 Lobby`, or see past runs with `/coffee history`.",
    };
  }
  const refusal = await refuseControl(slack, run, slackUserId, 'cancel');
  if (refusal) return { text: `There's no open coffee run here. Today's last run ${closedRunText(run)}. ${refusal}` };
  return cancelPrompt(run, { noOpenRun: true });
}

/** `/coffee cancel` refused for the open run: which run it is, and who may cancel it. */
export function openRunRefusal(run: ControlledRun, refusal: string): string {
  return `The open run here (${runName(run)}) was started by ${mention(run.initiatorSlackUserId)}. ${refusal}`;
}

/**
 * The confirmation before canceling a run whose runner is already assigned: which run (what, who
 * started it, when it closed, who is going) and a "Cancel the run" danger button. `noOpenRun` when
 * `/coffee cancel` found only a run closed today, so the user knows it isn't an open one.
 */
export function cancelPrompt(run: ControlledRun, options: { noOpenRun?: boolean } = {}): SlackMessage {
  const which = options.noOpenRun ? `There's no open coffee run here. Today's last run ${closedRunText(run)}.` : `This run ${closedRunText(run)}.`;
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
