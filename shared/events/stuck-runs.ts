import type { Sql } from '../db/client.ts';
import { enqueueEffect } from '../effects/effects.ts';
import type { ParkedEvent } from './undelivered.ts';
import { isUuid } from '../uuid.ts';

/** Which step of a run a dead letter stopped: closing it, or picking (and announcing) its runner. */
export type StuckStep = 'close' | 'runner';

/**
 * The deliveries whose dead letter leaves a run stuck: nothing else moves it on until an operator
 * replays the letter. Other dead letters (a reminder's scheduling, say) leave the run usable.
 */
const stuckDeliveries: readonly { type: string; consumer: string; step: StuckStep }[] = [
  { type: 'com.coffeebuddy.run.close_requested', consumer: 'close-run', step: 'close' },
  { type: 'com.coffeebuddy.run.closed', consumer: 'fairness-assign', step: 'runner' },
  { type: 'com.coffeebuddy.runner.declined', consumer: 'fairness-assign', step: 'runner' },
  { type: 'com.coffeebuddy.runner.assigned', consumer: 'close-run', step: 'runner' },
];

/** The effect that tells a stuck run's thread it needs an operator (close-run carries it out). */
export const stuckNoticeKind = 'run.stuck_notice';

/** A run that a dead letter just made stuck. */
export interface StuckRun {
  runId: string;
  slackChannelId: string;
  step: StuckStep;
}

/** SQL: the unreplayed dead letters that keep run `r` stuck. */
const stuckLetters = (sql: Sql) => sql`
  select 1 from dead_letter_events d
  where d.subject = r.id::text
    and d.replayed_at is null
    and (d.type, d.consumer) in (
      select * from unnest(${stuckDeliveries.map((delivery) => delivery.type)}::text[], ${stuckDeliveries.map((delivery) => delivery.consumer)}::text[])
    )
`;

/**
 * Called in the transaction that parked `letter`: if it stopped an unfinished run (open, or closed
 * and not done) that nothing else had stopped, the run is newly stuck: its thread notice is asked
 * for (once per run: the effect posts through `postOnce`) and the run is returned, for the
 * failed-runs count. Otherwise null.
 */
export async function noteStuckRun(tx: Sql, letter: ParkedEvent, now: Date): Promise<StuckRun | null> {
  const step = stuckDeliveries.find((delivery) => delivery.type === letter.type && delivery.consumer === letter.consumer)?.step;
  if (!step || !letter.subject || !isUuid(letter.subject)) return null;
  const [run] = await tx<{ slackChannelId: string; letters: number }[]>`
    select c.slack_channel_id, (select count(*)::int from (${stuckLetters(tx)}) l) as letters
    from runs r join channels c on c.id = r.channel_id
    where r.id = ${letter.subject} and r.status in ('open', 'closed')
  `;
  // More than this letter: the run was stuck already, and was counted and told then.
  if (run?.letters !== 1) return null;
  await enqueueEffect(
    tx,
    { kind: stuckNoticeKind, key: `stuck_notice:${letter.subject}`, scope: letter.subject, payload: { runId: letter.subject, step } },
    now,
  );
  return { runId: letter.subject, slackChannelId: run.slackChannelId, step };
}

/** Unfinished runs a dead-lettered close or runner assignment holds up: `coffeebuddy_stuck_runs`. */
export async function countStuckRuns(sql: Sql): Promise<number> {
  const [row] = await sql<{ count: number }[]>`
    select count(*)::int from runs r
    where r.status in ('open', 'closed') and exists (${stuckLetters(sql)})
  `;
  return row!.count;
}

/** Whether the run is still stuck (an operator may have replayed its dead letter meanwhile). */
export async function isStuck(sql: Sql, runId: string): Promise<boolean> {
  const rows = await sql`select 1 from runs r where r.id = ${runId} and r.status in ('open', 'closed') and exists (${stuckLetters(sql)})`;
  return rows.length > 0;
}
