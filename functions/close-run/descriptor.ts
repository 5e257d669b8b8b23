import { z } from 'zod';
import { fairnessDefaultsShape } from '../../shared/config.ts';
import { defineFunction } from '../../shared/function.ts';
import { runSyncRunMessage, syncRunMessageKind } from '../../shared/domain/run-message-effect.ts';
import { stuckNoticeKind } from '../../shared/events/stuck-runs.ts';
import { postStuckNotice } from './stuck-notice.ts';
import { announceCanceled, announceRunner, handleCloseRequested, showCompleted } from './handler.ts';

/**
 * close-run: freezes orders, posts the summary and the runner's DM, keeps the run message true, and
 * tells a run's thread when its close or runner assignment is stuck for an operator.
 */
export const closeRun = defineFunction({
  name: 'close-run',
  description: 'Freezes orders, posts the channel summary and the runner DM, keeps the run message true',
  // The run message says the fairness window.
  config: z.object(fairnessDefaultsShape),
  usesSlack: true,
  routes: [],
  consumes: {
    'com.coffeebuddy.run.close_requested': handleCloseRequested,
    'com.coffeebuddy.runner.assigned': { effect: announceRunner },
    'com.coffeebuddy.run.completed': { effect: showCompleted },
    'com.coffeebuddy.run.canceled': { effect: announceCanceled },
  },
  publishes: ['com.coffeebuddy.run.closed'],
  effects: { [syncRunMessageKind]: runSyncRunMessage, [stuckNoticeKind]: postStuckNotice },
});
