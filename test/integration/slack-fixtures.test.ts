import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { interactionBody } from '../support/slack-requests.ts';

const morning = new Date('2026-11-23T08:00:00Z');
const fixture = (name: string) => readFileSync(new URL(`../fixtures/slack/${name}`, import.meta.url), 'utf8');

/** Fills `{{name}}` in a form body (values URL-encoded) or a JSON payload (values JSON-escaped). */
function fill(template: string, values: Record<string, string>, encode: (value: string) => string): string {
  return template.trim().replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`fixture needs {{${name}}}`);
    return encode(value);
  });
}
const inForm = (template: string, values: Record<string, string>) => fill(template, values, encodeURIComponent);
const inJson = (template: string, values: Record<string, string>) =>
  interactionBody(JSON.parse(fill(template, values, (value) => JSON.stringify(value).slice(1, -1))) as Record<string, unknown>);

/** Payloads written in Slack's own shapes (test/fixtures/slack/) are taken, answered 200 and acted on. */
describe('payloads in the shapes Slack sends', () => {
  let stack: TestStack;
  const channel = 'CFIXTURE1';

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, now: morning, users: { U0FIXTURE: { name: 'bea', tz: 'Europe/Berlin' } } });
  });
  afterAll(async () => {
    await stack.close();
  });

  const openRun = async () => {
    const [run] = await stack.db.sql<{ id: string }[]>`
      select r.id from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel} and r.status = 'open'`;
    return run?.id;
  };

  it('slash command: /coffee from an Enterprise Grid workspace starts a run', async () => {
    const body = inForm(fixture('slash-command.form'), {
      channel_id: channel,
      response_url: stack.slack.responseUrl('fixture-command', { channel, user: 'U0FIXTURE' }),
      trigger_id: stack.slack.issueTrigger(),
    });
    expect((await stack.postSigned('/slack/commands', body)).status).toBe(200);
    expect(await openRun()).toBeDefined();
    expect(stack.slack.messages(channel)).toHaveLength(1);
  });

  it('block_actions: Place order on the run message opens the order modal with the trigger Slack sent', async () => {
    const trigger = stack.slack.issueTrigger();
    const body = inJson(fixture('block-actions.json'), {
      channel_id: channel,
      message_ts: stack.slack.messages(channel)[0]!.ts,
      trigger_id: trigger,
      response_url: stack.slack.responseUrl('fixture-click', { channel, user: 'U0FIXTURE' }),
      run_id: (await openRun())!,
    });
    expect((await stack.postSigned('/slack/interactions', body)).status).toBe(200);
    expect(stack.slack.views()).toEqual([expect.objectContaining({ triggerId: trigger })]);
  });

  it('view_submission: the order modal with untouched inputs left null records the order', async () => {
    const [opened] = stack.slack.views();
    const body = inJson(fixture('view-submission.json'), {
      trigger_id: stack.slack.issueTrigger(),
      private_metadata: String(opened!.view.private_metadata),
    });
    const response = await stack.postSigned('/slack/interactions', body);
    expect([response.status, await response.text()]).toEqual([200, '']);
    const orders = await stack.db.sql<{ drink: string; size: string }[]>`
      select o.drink, o.size from orders o where o.run_id = ${(await openRun())!} and o.status = 'active'`;
    expect(orders).toEqual([{ drink: 'Latte', size: 'Medium' }]);
  });
});
