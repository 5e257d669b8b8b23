import type { Sql } from '../../shared/db/client.ts';
import type { RunRow } from '../../shared/domain/run.ts';
import type { ServedRun } from './fairness.ts';

/** A served run as stored, before its attendance is joined in (`withAttendance`). */
export type ServedRunRow = Omit<ServedRun, 'participantIds'>;

/**
 * The channel's served runs (closed or completed with a runner), canceled ones never counted: the
 * newest 500, from `runs_channel_served`. The newest 500 are picked before their runners are
 * joined, so a long history costs an index read and a top-N sort, not a join per run.
 */
export async function servedHistory(sql: Sql, slackChannelId: string, excludeRunId: string): Promise<ServedRunRow[]> {
  return sql<ServedRunRow[]>`
    select r.id as run_id, u.slack_user_id as runner_id, r.closed_at
    from (
      select r.id, r.runner_id, r.closed_at
      from runs r
      where r.channel_id = (select id from channels where slack_channel_id = ${slackChannelId})
        and r.status in ('closed', 'completed')
        and r.closed_at is not null
        and r.runner_id is not null
        and r.id <> ${excludeRunId}
      order by r.closed_at desc
      limit 500
    ) r
    join users u on u.id = r.runner_id
    order by r.closed_at desc
  `;
}

/**
 * The newest `horizonRuns` of `history` with who attended each (everyone with an active order in
 * it), for the share tiebreak; older runs keep an empty list, as the rule never counts them.
 */
export async function withAttendance(sql: Sql, history: readonly ServedRunRow[], horizonRuns: number): Promise<ServedRun[]> {
  const newest = [...history]
    .sort((a, b) => b.closedAt.getTime() - a.closedAt.getTime() || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0))
    .slice(0, horizonRuns);
  const rows =
    newest.length === 0
      ? []
      : await sql<{ runId: string; participantIds: string[] }[]>`
          select
            o.run_id,
            array_agg(u.slack_user_id order by u.slack_user_id) as participant_ids
          from orders o
          join users u on u.id = o.user_id
          where o.run_id in ${sql(newest.map((run) => run.runId))}
            and o.status = 'active'
          group by o.run_id
        `;
  const attended = new Map(rows.map((row) => [row.runId, row.participantIds]));
  return history.map((run) => ({ ...run, participantIds: attended.get(run.runId) ?? [] }));
}

export interface AssignmentContext extends Pick<RunRow, 'status' | 'runnerSlackUserId'> {
  windowRuns: number;
  participants: string[];
  volunteers: string[];
  declined: string[];
  /** Participants away from this channel's runs at `at` (`/coffee away`). */
  away: string[];
}

/**
 * The run being assigned, locked: its participants, volunteers (in click order), decliners, the
 * participants who are away at `at` (open-ended, or until a later instant), and the channel's
 * window (the deployment's `defaultWindowRuns` unless its admins set one).
 */
export async function lockAssignmentContext(sql: Sql, runId: string, at: Date, defaultWindowRuns: number): Promise<AssignmentContext | undefined> {
  // The runner is read by a subquery, not a join. A delivery that waited for this lock while another
  // pod assigned the run re-reads the run row as that pod left it, but READ COMMITTED's re-check
  // keeps the joined rows it found before waiting: a joined runner still read as none, and the run
  // got a second runner.assigned (test/integration/two-instances.test.ts).
  const [run] = await sql<(Pick<RunRow, 'status' | 'runnerSlackUserId'> & { windowRuns: number })[]>`
    select r.status, (select slack_user_id from users where id = r.runner_id) as runner_slack_user_id, coalesce(c.fairness_window_runs, ${defaultWindowRuns}::int) as window_runs
    from runs r join channels c on c.id = r.channel_id
    where r.id = ${runId}
    for update of r
  `;
  if (!run) return undefined;
  const ids = async (query: Promise<{ slackUserId: string }[]>) => (await query).map((row) => row.slackUserId);
  // Sent together: pipelined on the transaction's connection, one round trip instead of four.
  const [participants, volunteers, declined, away] = await Promise.all([
    ids(sql<{ slackUserId: string }[]>`
      select u.slack_user_id from orders o join users u on u.id = o.user_id
      where o.run_id = ${runId} and o.status = 'active' order by o.created_at`),
    ids(sql<{ slackUserId: string }[]>`
      select u.slack_user_id from run_volunteers v join users u on u.id = v.user_id
      where v.run_id = ${runId} order by v.created_at, u.slack_user_id`),
    ids(sql<{ slackUserId: string }[]>`
      select u.slack_user_id from run_declines d join users u on u.id = d.user_id where d.run_id = ${runId}`),
    ids(sql<{ slackUserId: string }[]>`
      select u.slack_user_id
      from runs r
      join away_periods a on a.channel_id = r.channel_id
      join users u on u.id = a.user_id
      where r.id = ${runId}
        and (a.away_until is null or a.away_until > ${at})
        and exists (select 1 from orders o where o.run_id = r.id and o.user_id = a.user_id and o.status = 'active')`),
  ]);
  return { ...run, participants, volunteers, declined, away };
}

/** Record the chosen runner (or none), why, and when (`at`, the function's clock). */
export async function setRunner(sql: Sql, runId: string, runnerSlackUserId: string | null, reason: string, at: Date): Promise<void> {
  await sql`
    update runs set
      runner_id = (select id from users where slack_user_id = ${runnerSlackUserId}),
      runner_reason = ${reason},
      runner_assigned_at = ${at},
      updated_at = ${at}
    where id = ${runId}
  `;
}
