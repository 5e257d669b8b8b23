import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../../shared/testing/harness.ts';

describe('POST /slack/interactions in this release', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ functions: registry });
  });
  afterAll(async () => {
    await stack.close();
  });

  const payloadBody = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

  it('acknowledges a button click and tells the user at response_url that ordering is not available yet', async () => {
    const responseUrl = stack.slack.responseUrl('click');
    const body = payloadBody({ type: 'block_actions', user: { id: 'U1' }, response_url: responseUrl, actions: [{ action_id: 'order.open' }] });
    const response = await stack.postSigned('/slack/interactions', body);
    expect(response.status).toBe(200);
    await expect.poll(() => stack.slack.callsTo('response_url').length).toBe(1);
    expect(String(stack.slack.callsTo('response_url')[0]!.args.text)).toMatch(/not available/);
  });

  it('refuses an unsigned interaction with 401 and a malformed one with 400', async () => {
    const body = payloadBody({ type: 'block_actions', user: { id: 'U1' } });
    expect((await fetch(`${stack.url}/slack/interactions`, { method: 'POST', body })).status).toBe(401);
    expect((await stack.postSigned('/slack/interactions', 'payload=%7Bnot-json')).status).toBe(400);
    expect((await stack.postSigned('/slack/interactions', payloadBody({ type: 'block_actions' }))).status).toBe(400);
  });
});
