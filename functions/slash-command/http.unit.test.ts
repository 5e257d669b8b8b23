import { describe, expect, it } from 'vitest';
import { fakeDeps, signedSlackRequest } from '../../test/support/fakes.ts';
import { slashCommandBody, unissuedTrigger } from '../../test/support/slack-requests.ts';
import { handleCommandRequest } from './http.ts';
import { slashCommandConfig } from '../../shared/coffee-command/schema.ts';

// What Slack gets back for `/coffee` on the paths that need no database; where a path does reach
// for it, fakeDeps' database throws, which is how the apology is tested here.

const secret = 'unit-secret';
const now = new Date('2026-11-30T09:00:00Z');
const config = slashCommandConfig.parse({ SLACK_SIGNING_SECRET: secret });

async function post(body: string) {
  const deps = fakeDeps(config, { now });
  const response = await handleCommandRequest(signedSlackRequest('/slack/commands', body, { secret, at: now }), deps);
  return { deps, response };
}

describe('POST /slack/commands', () => {
  it('answers Slack’s certificate check with an empty 200', async () => {
    expect((await post('ssl_check=1&token=legacy')).response).toEqual({ status: 200 });
  });

  it('answers a refusal ephemerally, within the request', async () => {
    const { response } = await post(slashCommandBody({ trigger: unissuedTrigger, text: 'friday 10:30' }));
    expect(response).toEqual({
      status: 200,
      body: { response_type: 'ephemeral', text: 'CoffeeBuddy runs are for today: start it on Friday, or use `in 2h` for later today. No run was started.' },
    });
  });

  it('sends the "Did you mean" buttons with the answer', async () => {
    const { response } = await post(slashCommandBody({ trigger: unissuedTrigger, text: 'stast' }));
    expect(response).toMatchObject({ status: 200, body: { response_type: 'ephemeral', blocks: [{ type: 'section' }, { type: 'actions' }] } });
  });

  it('refuses text it cannot take before handling it, and logs why', async () => {
    const { deps, response } = await post(slashCommandBody({ trigger: unissuedTrigger, text: `10:30 ${'x'.repeat(4000)}` }));
    expect(response).toMatchObject({
      status: 200,
      body: { response_type: 'ephemeral', text: expect.stringMatching(/^That's too long for `\/coffee` \(4006 characters/) },
    });
    expect(deps.log.lines).toMatchObject([{ message: 'slash command text refused', fields: { reason: 'text_too_long' } }]);
  });

  it('answers 400 to a form that is no slash command', async () => {
    const { deps, response } = await post('command=%2Fcoffee&text=hi');
    expect(response).toMatchObject({ status: 400 });
    expect(deps.log.lines).toMatchObject([
      { level: 'warn', message: 'malformed slash command', fields: { fields: ['team_id', 'channel_id', 'user_id', 'response_url'] } },
    ]);
  });

  it('apologises, saying no run was started, when handling fails', async () => {
    const { deps, response } = await post(slashCommandBody({ trigger: unissuedTrigger, text: 'help' }));
    expect(response).toEqual({
      status: 200,
      body: { response_type: 'ephemeral', text: 'Something went wrong on our side and no run was started. Please try again in a moment.' },
    });
    expect(deps.log.lines).toMatchObject([{ level: 'error', message: 'slash request failed', fields: { channel: 'C0001' } }]);
  });
});
