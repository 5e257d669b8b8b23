import type { Sql } from '../db/client.ts';
import type { SlackMessage } from '../slack/port.ts';
import { escapeMrkdwn, mention, slackDateTime, truncate } from '../slack/text.ts';
import { pickupText } from './run-message.ts';
import { isRunId } from './run-queries.ts';
import type { RunStatus } from './run.ts';

/** One step of a run's life as `run_life` keeps it (written by the database as the run changes). */
export interface LifeStep {
  what: 'started' | 'closed' | 'picked' | 'completed' | 'canceled' | 'failed';
  /** Who did it (or was picked); null when nobody did (a scheduled close). */
  slackUserId: string | null;
  at: Date;
}

/** A run's status as people say it. */
export const statusLabel: Record<RunStatus, string> = {
  open: 'open',
  closed: 'on its way',
  completed: 'done',
  canceled: 'canceled',
  failed: 'failed to start',
};

/** What people call a run: its note and pickup time ("*Lobby cafe*, pickup 10:30", "no note, no pickup time"). */
export function runName(run: { note: string; pickupAt: Date | null; timeZone: string }): string {
  const note = run.note.trim() ? `*${escapeMrkdwn(truncate(run.note.trim(), 80))}*` : 'no note';
  return `${note}, ${run.pickupAt ? `pickup ${pickupText(run.pickupAt, run.timeZone)}` : 'no pickup time'}`;
}

/** A step in words, e.g. "10:30 closed by @ana". Someone forgotten shows as "(a former member)". */
export function lifeLine(step: LifeStep): string {
  const who = step.slackUserId ? mention(step.slackUserId) : null;
  const when = slackDateTime(step.at, '{time}');
  switch (step.what) {
    case 'started':
      return `${when} started by ${who ?? 'someone'}`;
    case 'closed':
      return who ? `${when} closed by ${who}` : `${when} closed on schedule`;
    case 'picked':
      return `${when} ${who ?? 'someone'} picked as runner`;
    case 'completed':
      return `${when} marked done by ${who ?? 'the runner'}`;
    case 'canceled':
      return `${when} canceled by ${who ?? 'someone'}`;
    case 'failed':
      return `${when} failed to start (Slack did not take its message)`;
  }
}

/** A run's life, oldest step first. */
export async function findRunLife(sql: Sql, runId: string): Promise<LifeStep[]> {
  return sql<LifeStep[]>`
    select what, slack_user_id, at
    from run_life
    where run_id = ${runId}
    order by at, id
  `;
}

interface RunDetailsRow {
  id: string;
  slackChannelId: string;
  status: RunStatus;
  note: string;
  pickupAt: Date | null;
  timeZone: string;
  startedAt: Date;
  runnerSlackUserId: string | null;
  orderers: string[];
  tookPart: boolean;
}

/**
 * A run's details for the "Details" button of `/coffee history`: what it was, its status, who
 * ordered, and its life. Shown to someone in the run's channel or who took part in it; null else
 * (or for a run id that is no run).
 */
export async function runDetails(sql: Sql, args: { runId: string; viewerSlackUserId: string; slackChannelId: string | null }): Promise<SlackMessage | null> {
  if (!isRunId(args.runId)) return null;
  const [run] = await sql<RunDetailsRow[]>`
    select
      r.id, c.slack_channel_id, r.status, r.note, r.pickup_at, r.time_zone, r.started_at,
      ru.slack_user_id as runner_slack_user_id,
      array(
        select u.slack_user_id from orders o join users u on u.id = o.user_id
        where o.run_id = r.id and o.status = 'active'
        order by o.created_at, o.id
      ) as orderers,
      exists (select 1 from run_life l where l.run_id = r.id and l.slack_user_id = ${args.viewerSlackUserId})
        or exists (
          select 1 from orders o join users u on u.id = o.user_id
          where o.run_id = r.id and o.status = 'active' and u.slack_user_id = ${args.viewerSlackUserId}
        ) as took_part
    from runs r
    join channels c on c.id = r.channel_id
    left join users ru on ru.id = r.runner_id
    where r.id = ${args.runId}
  `;
  if (!run || (run.slackChannelId !== args.slackChannelId && !run.tookPart)) return null;
  const life = await findRunLife(sql, run.id);
  const status = run.status === 'closed' && !run.runnerSlackUserId ? 'closed, nobody to go' : statusLabel[run.status];
  const ordered = run.orderers.length > 0 ? run.orderers.map(mention).join(', ') : 'nobody';
  const lines = [
    `*The run of ${slackDateTime(run.startedAt, '{date_short_pretty}')} in <#${run.slackChannelId}>:* ${runName(run)} · ${status}`,
    `Ordered: ${ordered}`,
    ...life.map((step) => `• ${lifeLine(step)}`),
  ];
  return { text: lines.join('\n') };
}
