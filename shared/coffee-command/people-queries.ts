import type { Sql } from '../db/client.ts';

/** Away from a channel's runs until `until` (null: until `/coffee back`); replaces any earlier away. */
export async function setAway(sql: Sql, args: { userId: string; channelId: string; until: Date | null; at: Date }): Promise<void> {
  await sql`
    insert into away_periods (user_id, channel_id, away_until, created_at, updated_at)
    values (${args.userId}, ${args.channelId}, ${args.until}, ${args.at}, ${args.at})
    on conflict (channel_id, user_id) do update set
      away_until = excluded.away_until,
      updated_at = excluded.updated_at
  `;
}

/**
 * `/coffee back`: end someone's away in a channel. Returns whether they were away at `at`, and
 * when a past away ended (its row goes too, as nothing reads it any more).
 */
export async function endAway(sql: Sql, args: { slackUserId: string; slackChannelId: string; at: Date }): Promise<{ wasAway: boolean; endedAt: Date | null }> {
  const [row] = await sql<{ awayUntil: Date | null }[]>`
    delete from away_periods a
    using users u, channels c
    where u.id = a.user_id and c.id = a.channel_id
      and u.slack_user_id = ${args.slackUserId}
      and c.slack_channel_id = ${args.slackChannelId}
    returning a.away_until
  `;
  if (!row) return { wasAway: false, endedAt: null };
  const wasAway = row.awayUntil === null || row.awayUntil.getTime() > args.at.getTime();
  return { wasAway, endedAt: wasAway ? null : row.awayUntil };
}
