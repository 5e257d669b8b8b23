import { z } from 'zod';
import { defineFunction } from '../../shared/function.ts';

/**
 * close-run: Freezes orders, posts the summary and the runner DM (consumes close and runner events).
 * Its event handlers arrive with the events they consume; until then it consumes nothing and
 * serves only health and metrics.
 */
export const closeRun = defineFunction({
  name: 'close-run',
  description: 'Freezes orders, posts the summary and the runner DM (consumes close and runner events)',
  config: z.object({}),
  usesSlack: false,
  routes: [],
  consumes: {},
  publishes: [],
});
