import { z } from 'zod';
import { defineFunction } from '../../shared/function.ts';

/**
 * admin: Channel settings, data reset, retention and audit (consumes admin.requested).
 * Its event handlers arrive with the events they consume; until then it consumes nothing and
 * serves only health and metrics.
 */
export const admin = defineFunction({
  name: 'admin',
  description: 'Channel settings, data reset, retention and audit (consumes admin.requested)',
  config: z.object({}),
  usesSlack: false,
  routes: [],
  consumes: {},
  publishes: [],
});
