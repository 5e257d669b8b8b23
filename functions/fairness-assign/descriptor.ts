import { z } from 'zod';
import { defineFunction } from '../../shared/function.ts';

/**
 * fairness-assign: Chooses the runner by the fairness rule (consumes run.closed).
 * Its event handlers arrive with the events they consume; until then it consumes nothing and
 * serves only health and metrics.
 */
export const fairnessAssign = defineFunction({
  name: 'fairness-assign',
  description: 'Chooses the runner by the fairness rule (consumes run.closed)',
  config: z.object({}),
  usesSlack: false,
  routes: [],
  consumes: {},
  publishes: [],
});
