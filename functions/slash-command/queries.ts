import type { Sql } from '../../shared/db/client.ts';

export interface ChannelRow {
  id: string;
  enabled: boolean;
  fairnessWindowRuns: number;
}

/** The channel's settings, if CoffeeBuddy has seen it before. */
export async function findChannel(sql: Sql, slackChannelId: string): Promise<ChannelRow | undefined> {
  const [row] = await sql<ChannelRow[]>`
    select id, enabled, fairness_window_runs
    from channels
    where slack_channel_id = ${slackChannelId}
  `;
  return row;
}

/** Create or refresh a user; returns its id. */
export async function upsertUser(
  sql: Sql,
  user: { slackUserId: string; slackTeamId: string; displayName: string | null; timeZone: string | null },
): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into users (slack_user_id, slack_team_id, display_name, time_zone)
    values (${user.slackUserId}, ${user.slackTeamId}, ${user.displayName}, ${user.timeZone})
    on conflict (slack_user_id) do update set
      display_name = coalesce(excluded.display_name, users.display_name),
      time_zone = coalesce(excluded.time_zone, users.time_zone),
      updated_at = now()
    returning id
  `;
  return row!.id;
}

/** Create or refresh a channel (locking it for this transaction); returns its settings. */
export async function upsertChannel(
  sql: Sql,
  channel: { slackChannelId: string; slackTeamId: string; name: string | null },
): Promise<ChannelRow> {
  const [row] = await sql<ChannelRow[]>`
    insert into channels (slack_channel_id, slack_team_id, name)
    values (${channel.slackChannelId}, ${channel.slackTeamId}, ${channel.name})
    on conflict (slack_channel_id) do update set
      name = coalesce(excluded.name, channels.name),
      updated_at = now()
    returning id, enabled, fairness_window_runs
  `;
  return row!;
}

export interface OpenRunRow {
  id: string;
  initiatorSlackUserId: string;
  pickupAt: Date | null;
}

/** The channel's open run, if there is one. */
export async function findOpenRun(sql: Sql, channelId: string): Promise<OpenRunRow | undefined> {
  const [row] = await sql<OpenRunRow[]>`
    select r.id, u.slack_user_id as initiator_slack_user_id, r.pickup_at
    from runs r
    join users u on u.id = r.initiator_id
    where r.channel_id = ${channelId}
      and r.status = 'open'
  `;
  return row;
}

/** Insert an open run; the partial unique index refuses a second open run in the channel. */
export async function insertRun(
  sql: Sql,
  run: { channelId: string; initiatorId: string; pickupAt: Date | null; closesAt: Date | null; note: string; timeZone: string; startedAt: Date },
): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into runs (channel_id, initiator_id, pickup_at, closes_at, note, time_zone, started_at)
    values (${run.channelId}, ${run.initiatorId}, ${run.pickupAt}, ${run.closesAt}, ${run.note}, ${run.timeZone}, ${run.startedAt})
    returning id
  `;
  return row!.id;
}

/** Mark an open run failed (its message could not be posted); true if this call changed it. */
export async function failOpenRun(sql: Sql, runId: string, reason: string): Promise<boolean> {
  const rows = await sql`
    update runs
    set status = 'failed', failure_reason = ${reason}, updated_at = now()
    where id = ${runId}
      and status = 'open'
    returning id
  `;
  return rows.length === 1;
}
