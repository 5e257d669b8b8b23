import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { slashCommandBody } from '../support/slack-requests.ts';

describe('/coffee slower than the ack deadline', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, env: { SLACK_ACK_DEADLINE_MS: '100' } });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('answers Slack at once with an empty 200 and sends the reply to the response_url', async () => {
    // Slack slow to say who the user is (past the 100 ms deadline), then refusing the post.
    stack.slack.failNext('users.info', { delayMs: 300 });
    stack.slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    const body = slashCommandBody({ trigger: stack.slack, text: 'in 10m', channelId: 'CLATE', responseUrl: stack.slack.responseUrl('late') });
    const response = await stack.postSigned('/slack/commands', body);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    await expect.poll(() => stack.slack.callsTo('response_url').length, { timeout: 10_000 }).toBe(1);
    const reply = stack.slack.callsTo('response_url')[0]!;
    expect(reply.args).toMatchObject({ response_type: 'ephemeral' });
    expect(String(reply.args.text)).toContain('/invite @CoffeeBuddy');
    const runs = await stack.db.sql<{ status: string }[]>`select status from runs`;
    expect(runs).toEqual([{ status: 'failed' }]);
  });
});
