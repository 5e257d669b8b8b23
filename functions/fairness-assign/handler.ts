import { runEvent, type CoffeeEvent } from '../../shared/events/cloud-event.ts';
import type { Sql } from '../../shared/db/client.ts';
import type { FunctionDeps } from '../../shared/function.ts';
import type { FairnessDefaults } from '../../shared/config.ts';
import type { TxDeps } from '../../shared/events/consumer.ts';
import { isForgotten } from '../../shared/domain/forgotten.ts';
import { chooseRunner, shareHorizonRuns } from './fairness.ts';
import { lockAssignmentContext, servedHistory, setRunner, withAttendance } from './queries.ts';

export type FairnessDeps = FunctionDeps<FairnessDefaults>;

/**
 * Choose the runner for a run and emit runner.assigned. Used on run.closed (first pick) and on
 * runner.declined (the next fairest, excluding everyone who said they can't go). Anyone away is
 * passed over unless they volunteered (see `chooseRunner`).
 */
async function assign(tx: Sql, deps: TxDeps<FairnessDeps>, args: { runId: string; slackChannelId: string; replaces: string | null }): Promise<void> {
  // Who is away is asked at the moment of choosing: right after close for the first pick, and
  // now for a re-pick after "I can't go" (someone back since close can be picked then).
  const at = deps.now();
  const context = await lockAssignmentContext(tx, args.runId, at, deps.config.FAIRNESS_WINDOW_RUNS);
  if (context?.status !== 'closed') {
    deps.log.info('run is not closed; no runner to choose', { runId: args.runId, status: context?.status });
    return;
  }
  if (args.replaces === null && context.runnerSlackUserId !== null) {
    deps.log.info('runner already chosen', { runId: args.runId });
    return;
  }
  if (args.replaces !== null && context.runnerSlackUserId !== args.replaces) {
    deps.log.info('decline is stale: someone else is the runner now', { runId: args.runId });
    return;
  }
  const decision = chooseRunner({
    runId: args.runId,
    participants: context.participants,
    history: await withAttendance(tx, await servedHistory(tx, args.slackChannelId, args.runId), Math.max(shareHorizonRuns, context.windowRuns)),
    windowRuns: context.windowRuns,
    horizonRuns: shareHorizonRuns,
    volunteers: context.volunteers,
    // Volunteering is how someone opts in to running again right after their last run.
    repeatOptIns: context.volunteers,
    // Someone who said `/coffee forget-me` after ordering keeps their order but can't be asked to go.
    excluded: [...context.declined, ...context.participants.filter(isForgotten)],
    away: context.away,
  });
  const runner = decision.kind === 'assigned' ? decision.runnerId : null;
  await setRunner(tx, args.runId, runner, decision.explanation, at);
  await deps.emit(
    tx,
    runEvent('com.coffeebuddy.runner.assigned', {
      runId: args.runId,
      slackChannelId: args.slackChannelId,
      runnerSlackUserId: runner,
      replacesSlackUserId: args.replaces,
      rule: decision.kind === 'assigned' ? decision.rule : decision.reason,
      explanation: decision.explanation,
    }),
  );
  deps.log.info('runner chosen', {
    runId: args.runId,
    runner,
    rule: decision.kind === 'assigned' ? decision.rule : decision.reason,
    skippedAway: decision.kind === 'assigned' ? decision.skippedAway.length : context.away.length,
  });
}

/** run.closed → choose the runner. */
export async function handleRunClosed(event: CoffeeEvent<'com.coffeebuddy.run.closed'>, tx: Sql, deps: TxDeps<FairnessDeps>): Promise<void> {
  const { data } = event;
  await assign(tx, deps, { runId: data.runId, slackChannelId: data.slackChannelId, replaces: null });
}

/** runner.declined → choose the next fairest participant. */
export async function handleRunnerDeclined(event: CoffeeEvent<'com.coffeebuddy.runner.declined'>, tx: Sql, deps: TxDeps<FairnessDeps>): Promise<void> {
  const { data } = event;
  await assign(tx, deps, { runId: data.runId, slackChannelId: data.slackChannelId, replaces: data.slackUserId });
}
