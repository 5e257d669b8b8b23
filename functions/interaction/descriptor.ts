import { defineFunction } from '../../shared/function.ts';
import { handleInteractionRequest } from './http.ts';
import { interactionConfig } from './schema.ts';

/** interaction: buttons and modals from Slack via Kong. */
export const interaction = defineFunction({
  name: 'interaction',
  description: 'Buttons and modals: placing, reusing, editing and withdrawing orders',
  config: interactionConfig,
  usesSlack: true,
  routes: [{ method: 'POST', path: '/slack/interactions', type: 'interaction', handle: handleInteractionRequest }],
  consumes: {},
  publishes: ['com.coffeebuddy.order.placed', 'com.coffeebuddy.order.updated', 'com.coffeebuddy.order.withdrawn'],
});
