import type { Sql } from '../db/client.ts';
import type { PersonOrder } from './order-list.ts';
import type { RunRow } from './run.ts';
import { orderFromRow } from './orders.ts';
import { isUuid } from '../uuid.ts';

/** Whether a value from a button or private_metadata can be a run id at all (runs are keyed by UUID). */
export function isRunId(value: string): boolean {
  return isUuid(value);
}

/** Every active order of a run, oldest first: the list the run message, summary and DM show. */
export async function listActiveOrders(sql: Sql, runId: string): Promise<PersonOrder[]> {
  const rows = await sql<{ slackUserId: string; drink: string | null; size: string | null; customizations: string | null; freeText: string | null }[]>`
    select u.slack_user_id, o.drink, o.size, o.customizations, o.free_text
    from orders o join users u on u.id = o.user_id
    where o.run_id = ${runId} and o.status = 'active'
    order by o.created_at, o.id
  `;
  return rows.map((row) => ({ slackUserId: row.slackUserId, order: orderFromRow(row) }));
}

/** Everything the messages about a run need. */
export interface RunView extends RunRow {
  runnerReason: string | null;
  pickupAt: Date | null;
  /** When ordering closes by itself; null when only by hand. */
  closesAt: Date | null;
  timeZone: string;
  note: string;
  /** The channel's own fairness window; null: the deployment's (`FAIRNESS_WINDOW_RUNS`). */
  fairnessWindowRuns: number | null;
  messageChannel: string | null;
  messageTs: string | null;
  canceledBy: string | null;
  /** Who pressed "I'll go", in click order (the order fairness-assign reads them in). */
  volunteerSlackUserIds: string[];
}

/** Everything needed to render a run's messages. */
export async function findRunView(sql: Sql, runId: string): Promise<RunView | undefined> {
  const [row] = await sql<RunView[]>`
    select
      r.id, r.status, c.slack_channel_id, i.slack_user_id as initiator_slack_user_id,
      ru.slack_user_id as runner_slack_user_id, r.runner_reason, r.pickup_at, r.closes_at, r.time_zone, r.note,
      c.fairness_window_runs, r.message_channel, r.message_ts, r.canceled_by,
      array(
        select vu.slack_user_id from run_volunteers v join users vu on vu.id = v.user_id
        where v.run_id = r.id
        order by v.created_at, vu.slack_user_id
      ) as volunteer_slack_user_ids
    from runs r
    join channels c on c.id = r.channel_id
    join users i on i.id = r.initiator_id
    left join users ru on ru.id = r.runner_id
    where r.id = ${runId}
  `;
  return row;
}
