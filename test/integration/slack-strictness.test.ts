import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { orderFormTooLate } from '../../functions/interaction/handler.ts';
import { registry } from '../../functions/registry.ts';
import { postMetadataType } from '../../shared/effects/slack-posts.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { blockActionBody, slashCommandBody } from '../support/slack-requests.ts';
import { suggestionActions } from '../../shared/slack/interaction-ids.ts';

const morning = new Date('2026-11-23T08:00:00Z');

/** What the product does when the Slack emulator holds it to Slack's rules, over signed HTTP. */
describe("the product under Slack's own limits", () => {
  let stack: TestStack;
  let channelSeq = 0;
  let channel: string;

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, now: morning, users: { U001: { name: 'ana', tz: 'Europe/Berlin' } } });
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(() => {
    stack.slack.reset();
    channel = `CSTRICT${++channelSeq}`;
  });

  const runMessage = () => stack.slack.messages(channel)[0];

  it('tells the user to click again when Slack refuses the order form because its trigger expired', async () => {
    const runId = await createRunDriver(stack).startRun(channel);
    const trigger = stack.slack.issueTrigger();
    // The click reaches CoffeeBuddy 4 s after Slack issued its trigger (a slow network, a cold start).
    stack.clock.now = new Date(stack.clock.now.getTime() + 4000);
    const body = blockActionBody({ trigger, userId: 'U001', channelId: channel, actionId: 'order.open', value: runId, messageTs: runMessage()!.ts });
    expect((await stack.postSigned('/slack/interactions', body)).status).toBe(200);

    expect(stack.slack.views()).toEqual([]);
    const told = stack.slack.callsTo('chat.postEphemeral').filter((c) => c.args.user === 'U001');
    expect(told.map((c) => c.args.text)).toEqual([orderFormTooLate]);
  });

  it('still answers a "Did you mean" click whose response_url Slack has used up (5 answers), ephemerally', async () => {
    const responseUrl = stack.slack.responseUrl(`used-${channel}`, { channel, user: 'U001' });
    for (let i = 0; i < 5; i++) await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"earlier"}' });
    const body = blockActionBody({
      trigger: stack.slack,
      userId: 'U001',
      channelId: channel,
      actionId: suggestionActions.runCommand,
      value: 'cancel',
      responseUrl,
    });
    expect((await stack.postSigned('/slack/interactions', body)).status).toBe(200);

    expect(stack.slack.callsTo('response_url')).toHaveLength(6);
    const told = stack.slack.callsTo('chat.postEphemeral').filter((c) => c.args.user === 'U001' && c.args.channel === channel);
    expect(told.map((c) => c.args.text)).toEqual([
      "There's no open coffee run here, so there's nothing to cancel. Start one with `/coffee 10:30 Lobby`, or see past runs with `/coffee history`.",
    ]);
  });

  it('brings the run message up to date after Slack rate-limits its chat.update, honouring Retry-After', async () => {
    const driver = createRunDriver(stack);
    const runId = await driver.startRun(channel);
    // Another part of the app has spent this minute's chat.update allowance (Tier 3, 50 a minute).
    const other = new WebClient('xoxb-test-token', {
      slackApiUrl: stack.slack.url,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logLevel: LogLevel.ERROR,
    });
    const busy = (await other.chat.postMessage({ channel: `${channel}BUSY`, text: 'busy' })).ts!;
    for (;;) {
      const spent = await other.chat.update({ channel: `${channel}BUSY`, ts: busy, text: 'edit' }).then(
        () => false,
        () => true,
      );
      if (spent) break;
    }

    await driver.order('U001', channel, runId, { drink: 'Latte', size: 'Large' });

    await expect.poll(() => JSON.stringify(runMessage()?.blocks), { timeout: 15_000, interval: 200 }).toContain('<@U001> Latte · Large');
    const updates = stack.slack.callsTo('chat.update').filter((c) => c.args.ts === runMessage()!.ts);
    expect(updates[0]!.retryAfter).toBeGreaterThan(0);
    expect(updates.at(-1)!.retryAfter).toBeUndefined();
  });
});

describe('the uncertain-post lookup against exclusive history bounds', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // The test runs the effect sweeps itself, so nothing retries the post before the stage is set.
    stack = await startTestStack({ functions: registry, now: morning, sweepMs: 0 });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('finds a run message Slack stamped exactly at the oldest bound it asks for, and posts it only once', async () => {
    const channel = 'CSTRICTSKEW';
    // The run message's post times out at Slack's edge: its outcome is unknown.
    stack.slack.failNext('chat.postMessage', { status: 503 });
    expect(
      (await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: 'in 30m Lobby', channelId: channel, userId: 'U001' }))).status,
    ).toBe(200);
    const [attempt] = await stack.db.sql<{ runId: string; ts: string | null }[]>`
      select run_id, ts from slack_messages where channel = ${channel} and kind = 'run_message'`;
    expect(attempt?.ts).toBeNull();

    // It had in fact landed, on a Slack clock a minute behind ours: the edge of the lookup's allowance.
    const slack = new WebClient('xoxb-test-token', { slackApiUrl: stack.slack.url, logLevel: LogLevel.ERROR });
    const landed = await slack.chat.postMessage({
      channel,
      text: 'run message',
      metadata: { event_type: postMetadataType, event_payload: { run_id: attempt!.runId, kind: 'run_message' } },
    });
    const landedMs = Math.round(Number(landed.ts) * 1000);
    expect(landedMs / 1000).toBe(Number(landed.ts));
    await stack.db.sql`update slack_messages set attempted_at = ${new Date(landedMs + 60_000)} where run_id = ${attempt!.runId} and kind = 'run_message'`;
    stack.slack.reset();

    await expect
      .poll(
        async () => {
          await stack.runtime.effects.sweep();
          return (await stack.db.sql<{ ts: string | null }[]>`select ts from slack_messages where run_id = ${attempt!.runId} and kind = 'run_message'`)[0]?.ts;
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBe(landed.ts);
    const [lookup] = stack.slack.callsTo('conversations.history');
    expect(lookup?.args.oldest).toBe(landed.ts);
    expect(stack.slack.callsTo('chat.postMessage')).toEqual([]);
    expect(stack.slack.messages(channel)).toEqual([expect.objectContaining({ ts: landed.ts, edits: 1 })]);
  });
});
