import { describe, expect, it } from 'vitest';
import { fakeDeps, FakeSlack, signedSlackRequest } from '../../test/support/fakes.ts';
import { interactionBody } from '../../test/support/slack-requests.ts';
import { handleInteractionRequest } from './http.ts';
import { interactionConfig } from './schema.ts';
import { actionIds, callbackIds, orderModalCallbackId, runActions } from '../../shared/slack/interaction-ids.ts';

// What Slack gets back for a click or a modal, on the paths that need no database. Where a path
// does reach for it, fakeDeps' database throws: that is how the apology paths are tested here.

const secret = 'unit-secret';
const now = new Date('2026-11-30T09:00:00Z');
const config = interactionConfig.parse({ SLACK_SIGNING_SECRET: secret });
const runId = '00000000-0000-4000-8000-000000000001';
const responseUrl = 'https://hooks.slack.test/actions/1';

function post(payload: Record<string, unknown>, options: { slack?: FakeSlack; secret?: string } = {}) {
  const deps = fakeDeps(config, { now, ...(options.slack ? { slack: options.slack } : {}) });
  const request = signedSlackRequest('/slack/interactions', interactionBody(payload), { secret: options.secret ?? secret, at: now });
  return { deps, response: handleInteractionRequest(request, deps) };
}

const click = (action: { action_id: string; value?: string }, where: { channel?: string } = {}) => ({
  type: 'block_actions',
  user: { id: 'U1', team_id: 'T1' },
  ...(where.channel ? { channel: { id: where.channel } } : {}),
  trigger_id: '123.456.abc',
  response_url: responseUrl,
  actions: [action],
});

const submission = (privateMetadata: string, values: Record<string, Record<string, unknown>> = {}, callbackId = orderModalCallbackId) => ({
  type: 'view_submission',
  user: { id: 'U1' },
  view: { callback_id: callbackId, private_metadata: privateMetadata, state: { values } },
});
const metadata = JSON.stringify({ runId, channelId: 'C1', usuals: [] });
const selected = (value: string) => ({ value: { type: 'static_select', selected_option: { value } } });

describe('POST /slack/interactions, refused before any work', () => {
  it('answers 401 to a request not signed with the app’s secret', async () => {
    const { deps, response } = post(click({ action_id: runActions.placeOrder }), { secret: 'someone-else' });
    expect(await response).toMatchObject({ status: 401 });
    expect(deps.log.lines).toMatchObject([{ level: 'warn', message: 'slack request refused' }]);
  });

  it('acknowledges interaction types it does not handle', async () => {
    const { deps, response } = post({ type: 'shortcut', user: { id: 'U1' } });
    expect(await response).toEqual({ status: 200 });
    expect(deps.log.lines).toMatchObject([{ message: 'interaction type not handled', fields: { type: 'shortcut' } }]);
  });

  it('answers 400 to a payload whose ids are not Slack’s, naming the fields', async () => {
    const { deps, response } = post({ ...click({ action_id: runActions.placeOrder }), user: { id: 'u1; drop table' } });
    expect(await response).toMatchObject({ status: 400 });
    expect(deps.log.lines).toMatchObject([{ message: 'malformed interaction payload', fields: { fields: ['user.id'] } }]);
  });
});

describe('buttons', () => {
  it('answers a button it does not know, logs it, and does nothing else, even when it names a run', async () => {
    const { deps, response } = post(click({ action_id: 'someone.elses_button', value: runId }, { channel: 'C1' }));
    expect(await response).toEqual({ status: 200 });
    expect(deps.slack.calls).toEqual([
      {
        method: 'postEphemeral',
        args: [
          { channel: 'C1', user: 'U1', text: "Sorry, that button doesn't do anything any more. Use the buttons on the latest message, or try `/coffee help`." },
        ],
      },
    ]);
    expect(deps.log.lines).toMatchObject([{ message: 'button not handled', fields: { actionId: 'someone.elses_button' } }]);
  });

  it.each(actionIds)('routes %s, from the catalog, to its own entry', async (actionId) => {
    const { deps, response } = post(click({ action_id: actionId, value: runId }, { channel: 'C1' }));
    expect((await response).status).toBe(200);
    expect(deps.log.lines.map((line) => line.message)).not.toContain('button not handled');
  });

  it('tells the clicker at the response URL when the button names no run', async () => {
    const { deps, response } = post(click({ action_id: runActions.placeOrder, value: runId }));
    expect(await response).toEqual({ status: 200 });
    expect(deps.slack.callsOf('respond')).toEqual([[responseUrl, { text: "I can't find that coffee run in this channel. Start one with `/coffee`." }]]);
  });

  it('still acknowledges when Slack does not take the ephemeral answer', async () => {
    const slack = new FakeSlack();
    slack.fail('postEphemeral');
    const { deps, response } = post(click({ action_id: runActions.withdrawOrder }, { channel: 'C1' }), { slack });
    expect(await response).toEqual({ status: 200 });
    expect(slack.callsOf('postEphemeral')).toMatchObject([[{ channel: 'C1', user: 'U1', text: expect.stringMatching(/^I can't find that coffee run/) }]]);
    expect(deps.log.lines).toMatchObject([
      { level: 'info', message: 'action on a run that takes no orders' },
      { level: 'warn', message: 'ephemeral answer not delivered' },
    ]);
  });

  it('apologises at the response URL when the work fails, saying nothing was changed', async () => {
    const { deps, response } = post(click({ action_id: runActions.placeOrder, value: runId }, { channel: 'C1' }));
    expect(await response).toEqual({ status: 200 });
    expect(deps.slack.callsOf('respond')).toEqual([
      [responseUrl, { text: 'Something went wrong on our side and nothing was changed. Please try again in a moment.' }],
    ]);
    expect(deps.log.lines).toMatchObject([
      { level: 'error', message: 'interaction request failed', fields: { requestId: 'unit-request', interaction: 'block_actions' } },
    ]);
  });
});

describe('modals', () => {
  it.each(callbackIds)('routes %s, from the catalog, to its own entry', async (callbackId) => {
    const { deps, response } = post(submission(metadata, {}, callbackId));
    expect((await response).status).toBe(200);
    expect(deps.log.lines.map((line) => line.message)).not.toContain('view submission not handled by this release');
  });
});

describe('the order modal', () => {
  it('closes a modal this release does not know', async () => {
    expect(await post(submission('{}', {}, 'some.other.modal')).response).toEqual({ status: 200 });
  });

  it('replaces an order form whose metadata it cannot read with "out of date"', async () => {
    const { response } = post(submission('not json'));
    expect(await response).toMatchObject({
      status: 200,
      body: {
        response_action: 'update',
        view: { blocks: [{ text: { text: 'This order form is out of date. Use *Place order* on the run message again.\nYour order was not recorded.' } }] },
      },
    });
  });

  it('puts each problem on its field, before looking for the run', async () => {
    expect(await post(submission(metadata, { drink: selected('Latte') })).response).toEqual({
      status: 200,
      body: { response_action: 'errors', errors: { size: 'Choose a size.' } },
    });
  });

  it('shows the apology on the form when recording the order fails', async () => {
    expect(await post(submission(metadata, { drink: selected('Latte'), size: selected('Small') })).response).toEqual({
      status: 200,
      body: { response_action: 'errors', errors: { drink: 'Something went wrong on our side and nothing was changed. Please try again in a moment.' } },
    });
  });
});
