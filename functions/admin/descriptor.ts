import { defineFunction } from '../../shared/function.ts';
import { effectKinds, postResetNotice, resetChannel } from './reset.ts';
import { runRetentionTick } from './retention.ts';
import { adminConfig } from './schema.ts';

/**
 * admin: the asynchronous half of `/coffee admin`. A confirmed reset deletes a channel's runs and
 * remembered orders and says so in the channel; a daily tick deletes what is past its retention
 * (runs by each channel's setting, and the bookkeeping tables). As the operator-facing function it
 * also parks what the KafkaSources dead-lettered, for `npm run dead-letters`.
 */
export const admin = defineFunction({
  name: 'admin',
  description: 'Channel data reset (consumes channel.reset_requested), daily retention, and parking dead letters',
  config: adminConfig,
  usesSlack: true,
  routes: [],
  consumes: {
    'com.coffeebuddy.channel.reset_requested': resetChannel,
  },
  publishes: [],
  effects: { [effectKinds.resetNotice]: postResetNotice },
  // 03:17 UTC: a quiet hour, off the full hour other jobs crowd.
  timers: [{ name: 'retention', schedule: '17 3 * * *', run: runRetentionTick }],
  recordsDeadLetters: true,
});
