import type { PendingQuery, Row } from 'postgres';
import type { Sql } from '../db/client.ts';

/** A Slack user as a request showed them; what it did not tell (null or absent) keeps what is stored. */
export interface SeenUser {
  slackUserId: string;
  slackTeamId: string;
  displayName?: string | null;
  timeZone?: string | null;
  /** When users.info was read for this request (null: not read). */
  timeZoneCheckedAt?: Date | null;
}

/** A Slack channel as a request showed it; no name keeps the stored one. */
export interface SeenChannel {
  slackChannelId: string;
  slackTeamId: string;
  name?: string | null;
}

/** A channel's row as every upsert returns it. */
export interface ChannelRow {
  id: string;
  enabled: boolean;
  /** Its own fairness window; null: the deployment's (`FAIRNESS_WINDOW_RUNS`). */
  fairnessWindowRuns: number | null;
}

/**
 * The one write of a user row: created on first sight, else refreshed with what the request knew;
 * `returning id`. Awaited alone, or a CTE of the caller's statement with `when` its `from … where …`
 * (made once per row it yields, never when it yields none).
 */
export function userUpsert(sql: Sql, user: SeenUser, now: Date, when: PendingQuery<Row[]> = sql``) {
  return sql<{ id: string }[]>`
    insert into users (slack_user_id, slack_team_id, display_name, time_zone, time_zone_checked_at)
    select ${user.slackUserId}::text, ${user.slackTeamId}::text, ${user.displayName ?? null}::text, ${user.timeZone ?? null}::text,
      ${user.timeZoneCheckedAt ?? null}::timestamptz
    ${when}
    on conflict (slack_user_id) do update set
      display_name = coalesce(excluded.display_name, users.display_name),
      time_zone = coalesce(excluded.time_zone, users.time_zone),
      time_zone_checked_at = coalesce(excluded.time_zone_checked_at, users.time_zone_checked_at),
      updated_at = ${now}::timestamptz
    returning id
  `;
}

/** Create or refresh a user; returns its id. */
export async function upsertUser(sql: Sql, user: SeenUser, now: Date): Promise<string> {
  const [row] = await userUpsert(sql, user, now);
  return row!.id;
}

/**
 * The one write of a channel row: created on first sight, else refreshed (which locks it for the
 * rest of the transaction); returns its settings. Awaited alone or as a CTE of the caller's statement.
 */
export function channelUpsert(sql: Sql, channel: SeenChannel, now: Date) {
  return sql<ChannelRow[]>`
    insert into channels (slack_channel_id, slack_team_id, name)
    values (${channel.slackChannelId}, ${channel.slackTeamId}, ${channel.name ?? null})
    on conflict (slack_channel_id) do update set
      name = coalesce(excluded.name, channels.name),
      updated_at = ${now}::timestamptz
    returning id, enabled, fairness_window_runs
  `;
}

/** Create or refresh a channel (locking it for this transaction); returns its settings. */
export async function upsertChannel(sql: Sql, channel: SeenChannel, now: Date): Promise<ChannelRow> {
  const [row] = await channelUpsert(sql, channel, now);
  return row!;
}
