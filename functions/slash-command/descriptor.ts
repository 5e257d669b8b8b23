import { defineFunction } from '../../shared/function.ts';
import { runSyncRunMessage, syncRunMessageKind } from '../../shared/domain/run-message-effect.ts';
import { handleCommandRequest } from './http.ts';
import { slashCommandConfig } from '../../shared/coffee-command/schema.ts';

/** slash-command: `/coffee` from Slack via Kong; starts runs and answers help. */
export const slashCommand = defineFunction({
  name: 'slash-command',
  description: 'Verifies and answers /coffee: starts, closes and cancels runs; help, history and stats',
  config: slashCommandConfig,
  usesSlack: true,
  routes: [{ method: 'POST', path: '/slack/commands', type: 'slash', startsRuns: true, handle: handleCommandRequest }],
  consumes: {},
  publishes: ['com.coffeebuddy.run.created', 'com.coffeebuddy.run.failed', 'com.coffeebuddy.run.close_requested', 'com.coffeebuddy.run.canceled'],
  effects: { [syncRunMessageKind]: runSyncRunMessage },
});
