import { defineFunction } from '../../shared/function.ts';
import { cupWithdrawnKind } from '../../shared/domain/forget-me-queries.ts';
import { runCupWithdrawnNotice } from '../../shared/domain/forget-me.ts';
import { runSyncRunMessage, syncRunMessageKind } from '../../shared/domain/run-message-effect.ts';
import { handleInteractionRequest } from './http.ts';
import { interactionConfig } from './schema.ts';

/** interaction: buttons and modals from Slack via Kong. */
export const interaction = defineFunction({
  name: 'interaction',
  description: "Buttons and modals: orders, close, volunteer, cancel, mark done, I can't go",
  config: interactionConfig,
  usesSlack: true,
  routes: [{ method: 'POST', path: '/slack/interactions', type: 'interaction', startsRuns: true, handle: handleInteractionRequest }],
  consumes: {},
  publishes: [
    'com.coffeebuddy.order.placed',
    'com.coffeebuddy.order.updated',
    'com.coffeebuddy.order.withdrawn',
    'com.coffeebuddy.run.close_requested',
    'com.coffeebuddy.run.canceled',
    'com.coffeebuddy.run.completed',
    'com.coffeebuddy.runner.declined',
  ],
  effects: { [syncRunMessageKind]: runSyncRunMessage, [cupWithdrawnKind]: runCupWithdrawnNotice },
});
