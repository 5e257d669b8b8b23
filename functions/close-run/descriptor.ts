import { z } from 'zod';
import { defineFunction } from '../../shared/function.ts';
import { handleCloseRequested, handleRunCanceled, handleRunCompleted, handleRunnerAssigned } from './handler.ts';

/** close-run: freezes orders, posts the summary and the runner's DM, keeps the run message true. */
export const closeRun = defineFunction({
  name: 'close-run',
  description: 'Freezes orders, posts the channel summary and the runner DM, keeps the run message true',
  config: z.object({}),
  usesSlack: true,
  routes: [],
  consumes: {
    'com.coffeebuddy.run.close_requested': handleCloseRequested,
    'com.coffeebuddy.runner.assigned': handleRunnerAssigned,
    'com.coffeebuddy.run.completed': handleRunCompleted,
    'com.coffeebuddy.run.canceled': handleRunCanceled,
  },
  publishes: ['com.coffeebuddy.run.closed'],
});
