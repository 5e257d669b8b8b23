import { z } from 'zod';
import { fairnessDefaultsShape } from '../../shared/config.ts';
import { defineFunction } from '../../shared/function.ts';
import { handleRunClosed, handleRunnerDeclined } from './handler.ts';

/** fairness-assign: chooses the runner by the transparent fairness rule and says why. */
export const fairnessAssign = defineFunction({
  name: 'fairness-assign',
  description: 'Chooses the runner by the fairness rule and explains the choice',
  config: z.object(fairnessDefaultsShape),
  usesSlack: false,
  routes: [],
  consumes: {
    'com.coffeebuddy.run.closed': handleRunClosed,
    'com.coffeebuddy.runner.declined': handleRunnerDeclined,
  },
  publishes: ['com.coffeebuddy.runner.assigned'],
});
