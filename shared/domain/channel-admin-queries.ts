import type { Sql } from '../db/client.ts';
import { channelUpsert, type SeenChannel } from './user-channel-queries.ts';

/** A channel's settings (null offsets and minutes: the deployment's defaults). */
export interface ChannelSettings {
  enabled: boolean;
  remindersEnabled: boolean;
  reminderOffsetMinutes: number | null;
  lastCallEnabled: boolean;
  lastCallMinutes: number | null;
  fairnessWindowRuns: number | null;
  dataRetentionDays: number;
  adminSlackUserIds: string[];
}

/** A channel's settings as `/coffee admin` shows and changes them (null: never seen, defaults apply). */
export async function findChannelSettings(sql: Sql, slackChannelId: string): Promise<(ChannelSettings & { id: string }) | undefined> {
  const [row] = await sql<(ChannelSettings & { id: string })[]>`
    select id, enabled, reminders_enabled, reminder_offset_minutes, last_call_enabled, last_call_minutes,
      fairness_window_runs, data_retention_days, admin_slack_user_ids
    from channels where slack_channel_id = ${slackChannelId}
  `;
  return row;
}

/** The channel row, created on first use, locked for the rest of the transaction. */
export async function lockChannelSettings(sql: Sql, channel: SeenChannel, now: Date): Promise<ChannelSettings & { id: string }> {
  await channelUpsert(sql, channel, now);
  const [row] = await sql<(ChannelSettings & { id: string })[]>`
    select id, enabled, reminders_enabled, reminder_offset_minutes, last_call_enabled, last_call_minutes,
      fairness_window_runs, data_retention_days, admin_slack_user_ids
    from channels where slack_channel_id = ${channel.slackChannelId}
    for update
  `;
  return row!;
}

export async function saveChannelSettings(sql: Sql, channelId: string, settings: ChannelSettings, at: Date): Promise<void> {
  await sql`
    update channels set
      enabled = ${settings.enabled},
      reminders_enabled = ${settings.remindersEnabled},
      reminder_offset_minutes = ${settings.reminderOffsetMinutes},
      last_call_enabled = ${settings.lastCallEnabled},
      last_call_minutes = ${settings.lastCallMinutes},
      fairness_window_runs = ${settings.fairnessWindowRuns},
      data_retention_days = ${settings.dataRetentionDays},
      admin_slack_user_ids = ${settings.adminSlackUserIds},
      updated_at = ${at}
    where id = ${channelId}
  `;
}

/** One audit row: who did what to which channel, when, and what changed (old → new). */
export async function recordAdminAction(
  sql: Sql,
  action: { channelId: string | null; slackChannelId: string; actorSlackUserId: string; action: string; changes: Record<string, unknown>; at: Date },
): Promise<void> {
  await sql`
    insert into channel_admin_actions (channel_id, slack_channel_id, actor_slack_user_id, action, changes, created_at)
    values (${action.channelId}, ${action.slackChannelId}, ${action.actorSlackUserId}, ${action.action}, ${sql.json(action.changes as never)}, ${action.at})
  `;
}

export interface AdminLogEntry {
  actorSlackUserId: string;
  action: string;
  changes: Record<string, { from?: unknown; to?: unknown }>;
  createdAt: Date;
}

/** The channel's audit trail, newest first. */
export async function listAdminActions(sql: Sql, slackChannelId: string, page: number, pageSize: number): Promise<{ entries: AdminLogEntry[]; total: number }> {
  const entries = await sql<AdminLogEntry[]>`
    select actor_slack_user_id, action, changes, created_at
    from channel_admin_actions
    where slack_channel_id = ${slackChannelId}
    order by created_at desc, id
    limit ${pageSize} offset ${(page - 1) * pageSize}
  `;
  const [count] = await sql<{ total: number }[]>`select count(*)::int as total from channel_admin_actions where slack_channel_id = ${slackChannelId}`;
  return { entries, total: count?.total ?? 0 };
}

/** Whether the channel has a run that is still taking orders. */
export async function hasOpenRun(sql: Sql, slackChannelId: string): Promise<boolean> {
  const rows = await sql`
    select 1 from runs r join channels c on c.id = r.channel_id
    where c.slack_channel_id = ${slackChannelId} and r.status = 'open' limit 1`;
  return rows.length > 0;
}
