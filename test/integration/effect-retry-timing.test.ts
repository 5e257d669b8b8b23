import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { syncRunMessageKind } from '../../shared/domain/run-message-effect.ts';
import { defaultEffectPolicy } from '../../shared/effects/worker.ts';
import type { EmulatedFailure } from '../../scripts/local/emulator.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { slashCommandBody } from '../support/slack-requests.ts';

describe('A Slack effect whose attempt failed is retried at its time, not at the next sweep', () => {
  let stack: TestStack;
  let seq = 0;
  beforeAll(async () => {
    // Production's retry policy and no sweep at all (no timer, no `POST /sweep`): nothing but the
    // worker's own wake-up can make the retry, so a run message that appears proves it did.
    stack = await startTestStack({ functions: registry, effectPolicy: defaultEffectPolicy, sweepMs: 0 });
  });
  afterAll(async () => {
    await stack.close();
  });

  it.each<[string, EmulatedFailure, number]>([
    ['a 429 with Retry-After 1', { status: 429, retryAfterSeconds: 1 }, 2],
    ['an HTTP 500 twice in a row', { status: 500, times: 2 }, 3],
  ])('/coffee whose first post gets %s: the run message is posted once, by the retries the worker woke up for', async (_, failure, attempts) => {
    const channel = `CRETRY${++seq}`;
    stack.slack.failNext('chat.postMessage', failure);
    const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: 'in 20m Lobby', channelId: channel }));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('it will appear here shortly');

    const effect = () =>
      stack.db.sql<{ done: boolean; attempts: number }[]>`
        select e.done_at is not null as done, e.attempts
        from slack_effects e join runs r on r.id::text = e.scope join channels c on c.id = r.channel_id
        where c.slack_channel_id = ${channel} and e.kind = ${syncRunMessageKind}`;
    await expect.poll(async () => (await effect())[0]?.done, { timeout: 20_000 }).toBe(true);
    // One claim per retry: the failed attempts and the one that posted, nothing more.
    expect(await effect()).toEqual([{ done: true, attempts }]);

    const posts = stack.slack.callsTo('chat.postMessage').filter((call) => call.args.channel === channel);
    expect(posts).toHaveLength(attempts);
    expect(stack.slack.messages(channel)).toHaveLength(1);
    const [run] = await stack.db.sql<{ messageTs: string }[]>`
      select r.message_ts from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel}`;
    expect(run!.messageTs).toBe(stack.slack.messages(channel)[0]!.ts);
    if (failure.status === 429) {
      // Slack's Retry-After is honoured: the retry never comes before it.
      expect(posts[1]!.at.getTime() - posts[0]!.at.getTime()).toBeGreaterThanOrEqual(1000);
    }
  });
});
