import type { Sql } from '../../shared/db/client.ts';
import type { EffectDeps, EffectRequest } from '../../shared/effects/effects.ts';
import { channelPost, postOnce } from '../../shared/effects/slack-posts.ts';
import type { CoffeeEvent } from '../../shared/events/cloud-event.ts';
import type { FunctionDeps } from '../../shared/function.ts';
import type { TxDeps } from '../../shared/events/consumer.ts';
import { resetNotice } from './messages.ts';
import { deleteChannelPreferences, deleteRuns, hasOpenRun, lockChannel, lockChannelRuns, noRunsDeleted, type RunDeletion } from './queries.ts';
import { DAY_MS, resetNoticePayload, type AdminConfig, type ResetNoticePayload } from './schema.ts';

export type AdminDeps = FunctionDeps<AdminConfig>;

/** Runs deleted per statement: each statement stays small, however much a channel has. */
const runBatch = 1000;

export const effectKinds = { resetNotice: 'admin.reset_notice' } as const;

/** The notice that the channel was reset, as a durable effect: one per reset event. */
export function resetNoticeEffect(payload: ResetNoticePayload): EffectRequest {
  return { kind: effectKinds.resetNotice, key: `reset_notice:${payload.eventId}`, scope: payload.slackChannelId, payload };
}

/**
 * channel.reset_requested → the channel's runs (with their orders, reminders, volunteers, declines,
 * Slack message records and effects) and everyone's remembered last order in it are deleted, and
 * the channel is told who did it. Settings and the audit trail stay.
 *
 * The admin was authorized and audited when they confirmed. A run open now wins: the reset is
 * dropped (the confirmation told them so). Only runs started by the time of the request go, so an
 * event delivered again much later (a dead letter replayed) never takes what came after it.
 *
 * All in this one transaction, in statements of 1000 runs: the reset is all or nothing, and the
 * notice is posted only if it happened. A channel holds at most its retention window of runs
 * (`data_retention_days` ≤ 3650), a few thousand in practice. Measured on the test Postgres,
 * 10,000 runs with the 70,000 rows they left go in 0.5 s and 30,000 in 1.5 s: far inside
 * KafkaSource's 10 s delivery timeout and the 5 s statement timeout (each statement is ≤ 1000 runs).
 * Beyond that, split the reset across transactions (what is left is found again by `before`).
 */
export async function resetChannel(event: CoffeeEvent<'com.coffeebuddy.channel.reset_requested'>, tx: Sql, deps: TxDeps<AdminDeps>): Promise<void> {
  const { data } = event;
  const log = deps.log.child({ slackChannelId: data.slackChannelId, requestedBy: data.requestedBySlackUserId });
  const channelId = await lockChannel(tx, data.slackChannelId);
  if (channelId && (await hasOpenRun(tx, channelId))) {
    log.info('channel reset dropped: a run is open', { requestedAt: data.requestedAt });
    return;
  }
  const deleted = channelId ? await deleteChannelData(tx, channelId, new Date(data.requestedAt)) : { ...noRunsDeleted(), user_preferences: 0 };
  await deps.effects.enqueue(
    tx,
    resetNoticeEffect({ eventId: event.id, slackChannelId: data.slackChannelId, requestedBySlackUserId: data.requestedBySlackUserId }),
  );
  log.info('channel data reset', deleted);
}

async function deleteChannelData(tx: Sql, channelId: string, before: Date): Promise<RunDeletion & { user_preferences: number }> {
  const total = noRunsDeleted();
  for (;;) {
    const deleted = await deleteRuns(tx, await lockChannelRuns(tx, channelId, before, runBatch));
    for (const table of Object.keys(total) as (keyof RunDeletion)[]) total[table] += deleted[table];
    if (deleted.runs < runBatch) break;
  }
  return { ...total, user_preferences: await deleteChannelPreferences(tx, channelId) };
}

/**
 * Post the reset notice once per reset event: an effect run again (or enqueued again by a
 * redelivery after the dedupe row expired) finds its record and edits the message instead of
 * posting another. The notice belongs to no run, so its record expires on its own, kept as long as
 * a dedupe row: by then Kafka cannot deliver the event again.
 */
export async function postResetNotice(payload: unknown, deps: EffectDeps<AdminConfig>): Promise<void> {
  const notice = resetNoticePayload.parse(payload);
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + deps.config.PROCESSED_EVENTS_RETENTION_DAYS * DAY_MS);
  await postOnce(deps.sql, deps.slack, {
    key: channelPost(notice.slackChannelId, 'reset_notice', notice.eventId, expiresAt),
    channel: notice.slackChannelId,
    message: resetNotice(notice.requestedBySlackUserId),
    now,
  });
}
