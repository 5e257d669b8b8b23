import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { buildEvent } from '../../shared/events/cloud-event.ts';
import { toBinaryHttp } from '../../shared/events/http-binding.ts';
import { createLogger } from '../../shared/logging.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { blockActionBody, interactionBody, slashCommandBody } from '../support/slack-requests.ts';

const morning = new Date('2026-11-23T08:00:00Z');

/**
 * Issue 8, "4xx for bad input, never 5xx": each case against the real stack (Postgres, the Slack
 * emulator, signed HTTP), with the user-visible answer, nothing written and no error-level log.
 */
describe('bad input gets a 4xx or a clear answer, never a 5xx or an error log', () => {
  let stack: TestStack;
  let channelSeq = 0;
  let channel: string;
  const logLines: { level: string; msg: string }[] = [];

  beforeAll(async () => {
    const log = createLogger({ level: 'warn', write: (line) => logLines.push(JSON.parse(line) as { level: string; msg: string }) });
    stack = await startTestStack({ functions: registry, now: morning, log, users: { U0001: { name: 'ana', tz: 'Europe/Berlin' } } });
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(async () => {
    // What an earlier test set going (deliveries, Slack effects) finishes before this one looks.
    await stack.bus?.idle();
    await stack.runtime.effects.sweep();
    stack.clock.now = morning;
    stack.slack.reset();
    logLines.length = 0;
    channel = `CBAD${++channelSeq}`;
  });

  const errorLogs = () => logLines.filter((line) => line.level === 'error');
  const rowsInChannel = async () => {
    const [row] = await stack.db.sql<{ channels: number; runs: number }[]>`
      select
        (select count(*)::int from channels where slack_channel_id = ${channel}) as channels,
        (select count(*)::int from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel}) as runs`;
    return row;
  };
  const command = (text: string, fields: { userId?: string } = {}) =>
    stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text, channelId: channel, ...fields }));

  describe('Slack ssl_check', () => {
    it.each(registry.flatMap((fn) => fn.routes.map((route) => route.path)))(
      '%s answers a signed ssl_check with an empty 200 and does nothing',
      async (path) => {
        const response = await stack.postSigned(path, 'ssl_check=1&token=legacy-verification-token');
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('');
        expect(stack.slack.calls).toEqual([]);
        expect(logLines).toEqual([]);
        // Signed it must be, like everything else.
        const unsigned = await fetch(`${stack.url}${path}`, { method: 'POST', body: 'ssl_check=1&token=x' });
        expect(unsigned.status).toBe(401);
      },
    );
  });

  describe('CloudEvents are validated before any database work (400: dead-lettered, not retried)', () => {
    const consumer = registry.find((fn) => Object.keys(fn.consumes).length > 0)!;
    const runId = randomUUID();
    const valid = toBinaryHttp(
      buildEvent(
        {
          type: 'com.coffeebuddy.run.close_requested',
          subject: runId,
          partitionKey: 'C0001',
          correlationId: runId,
          data: { runId, slackChannelId: 'C0001', requestedBySlackUserId: 'U0001' },
        },
        { id: randomUUID(), source: 'interaction', time: morning },
      ),
    );
    const deliver = (changes: Record<string, string | undefined>, body = valid.body) => {
      const headers: Record<string, string> = { ...valid.headers };
      for (const [name, value] of Object.entries(changes)) {
        if (value === undefined) delete headers[name];
        else headers[name] = value;
      }
      return stack.postEvent(consumer.name, { headers, body });
    };
    const processedEvents = async () => (await stack.db.sql<{ n: number }[]>`select count(*)::int as n from processed_events`)[0]!.n;

    it.each([
      ['no ce-specversion', { 'ce-specversion': undefined }, /specversion attribute is required/],
      ['ce-specversion 0.3', { 'ce-specversion': '0.3' }, /specversion 1.0/],
      ['a 3,200-character ce-id (was a 503 from the btree index)', { 'ce-id': 'x'.repeat(3200) }, /id attribute is longer than 256/],
      ['an empty ce-source', { 'ce-source': '' }, /source attribute must not be empty/],
      ['ce-time: yesterday', { 'ce-time': 'yesterday' }, /RFC 3339/],
      ['a 5,000-character ce-subject', { 'ce-subject': 's'.repeat(5000) }, /subject attribute is longer than 256/],
      ['a 10,000-character extension', { 'ce-correlationid': 'c'.repeat(10_000) }, /correlationid attribute is longer than 1024 bytes/],
      ['an extension with a NUL', { 'ce-partitionkey': 'C1%00' }, /may not contain/],
    ] as const)('%s gets 400 and nothing is recorded', async (_, changes, message) => {
      const before = await processedEvents();
      const response = await deliver(changes);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'validation', message: expect.stringMatching(message) });
      expect(await processedEvents()).toBe(before);
      expect(errorLogs()).toEqual([]);
    });

    it('data that Postgres cannot store gets 400 too', async () => {
      const before = await processedEvents();
      const data = JSON.stringify({ runId, slackChannelId: 'C\u0000', requestedBySlackUserId: 'U0001' });
      const response = await deliver({}, data);
      expect(response.status).toBe(400);
      expect(await processedEvents()).toBe(before);
      expect(errorLogs()).toEqual([]);
    });

    it('while our own events still flow through the bus: a closed run gets its runner and summary', async () => {
      const driver = createRunDriver(stack);
      const run = await driver.startRun(channel, 'in 30m Lobby', 'U0001');
      await driver.order('U0001', channel, run, { drink: 'Latte', size: 'Small' });
      await driver.click('U0001', channel, 'run.close', run);
      await stack.drain();
      expect(stack.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith(':coffee: Coffee run closed'))).toHaveLength(1);
      const [closed] = await stack.db.sql<{ status: string; runnerId: string | null }[]>`select status, runner_id from runs where id = ${run}`;
      expect(closed).toMatchObject({ status: 'closed', runnerId: expect.any(String) });
      expect(await stack.db.sql`select 1 from dead_letter_events`).toHaveLength(0);
      expect(errorLogs()).toEqual([]);
    });

    it('while a valid event of a type this consumer does not use is still done (200)', async () => {
      const other = toBinaryHttp(
        buildEvent(
          {
            type: 'com.coffeebuddy.run.failed',
            subject: runId,
            partitionKey: 'C0001',
            correlationId: runId,
            data: { runId, slackChannelId: 'C0001', reason: 'test' },
          },
          { id: randomUUID(), source: 'slash-command', time: morning },
        ),
      );
      const response = await stack.postEvent(consumer.name, other);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ignored' });
    });
  });

  describe('run ids that are not UUIDs', () => {
    it.each(['run.close', 'runner.done'])('a %s button carrying 36 dashes is told the run is not found', async (actionId) => {
      const response = await stack.postSigned(
        '/slack/interactions',
        blockActionBody({ trigger: stack.slack, userId: 'U0001', channelId: channel, actionId, value: '-'.repeat(36) }),
      );
      expect(response.status).toBe(200);
      const [told] = stack.slack.callsTo('chat.postEphemeral');
      expect(String(told?.args.text)).toMatch(/can't find that coffee run/);
      expect(errorLogs()).toEqual([]);
    });
  });

  describe('/coffee text and fields', () => {
    it('text with a NUL gets an ephemeral "retype it", never the generic apology, and reaches no table', async () => {
      const response = await command('10:30 Lobby\u0000cafe');
      expect(response.status).toBe(200);
      const reply = (await response.json()) as { response_type: string; text: string };
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toMatch(/characters I can't store/);
      expect(reply.text).not.toMatch(/Something went wrong/);
      expect(await rowsInChannel()).toEqual({ channels: 0, runs: 0 });
      expect(stack.slack.calls).toEqual([]);
      expect(errorLogs()).toEqual([]);
    });

    it('text longer than a Slack message gets an ephemeral "too long"', async () => {
      const response = await command(`10:30 ${'x'.repeat(5000)}`);
      expect(response.status).toBe(200);
      const reply = (await response.json()) as { response_type: string; text: string };
      expect(reply).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/too long for `\/coffee` \(5006 characters/) });
      expect(await rowsInChannel()).toEqual({ channels: 0, runs: 0 });
      expect(errorLogs()).toEqual([]);
    });

    it('a giant user id or a NUL in the channel name is no Slack payload: 400, nothing recorded', async () => {
      expect((await command('10:30', { userId: `U${'9'.repeat(5000)}` })).status).toBe(400);
      const withName = slashCommandBody({ trigger: stack.slack, text: '10:30', channelId: channel }).replace('channel_name=coffee', 'channel_name=cof%00fee');
      const response = await stack.postSigned('/slack/commands', withName);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'validation', message: 'Malformed slash command payload' });
      expect(await rowsInChannel()).toEqual({ channels: 0, runs: 0 });
      expect(errorLogs()).toEqual([]);
    });
  });

  describe('interaction payloads', () => {
    const interaction = (payload: Record<string, unknown>) => stack.postSigned('/slack/interactions', interactionBody(payload));
    const click = (changes: { user?: string; value?: string }) =>
      interaction({
        type: 'block_actions',
        user: { id: changes.user ?? 'U0001' },
        channel: { id: channel },
        trigger_id: 'trigger-1',
        actions: [{ action_id: 'order.open', value: changes.value ?? randomUUID() }],
      });

    it('a button value with a NUL or a lone surrogate, or a giant user id, gets 400', async () => {
      for (const response of [await click({ value: `${randomUUID()}\u0000` }), await click({ value: '\ud800' }), await click({ user: 'U'.repeat(5000) })]) {
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({ error: 'validation', message: 'Malformed interaction payload' });
      }
      expect(stack.slack.calls).toEqual([]);
      expect(errorLogs()).toEqual([]);
    });

    it('private_metadata that cannot be stored gets 400', async () => {
      const response = await interaction({
        type: 'view_submission',
        user: { id: 'U0001' },
        view: {
          callback_id: 'order.submit',
          private_metadata: JSON.stringify({ runId: randomUUID(), channelId: 'C\u0000', usuals: [] }),
          state: { values: {} },
        },
      });
      expect(response.status).toBe(400);
      expect(errorLogs()).toEqual([]);
    });

    it('modal text with a NUL or a lone surrogate is a field error the user sees, and no order is written', async () => {
      const driver = createRunDriver(stack);
      const runId = await driver.startRun(channel, 'in 30m Lobby', 'U0001');
      const { private_metadata: metadata } = await driver.openModal('U0001', channel, runId);
      const freeText = await driver.submit('U0001', metadata, { freeText: 'Flat\u0000white' });
      expect(freeText).toEqual({ response_action: 'errors', errors: { free_text: expect.stringMatching(/can't store; please retype it/) } });
      const customizations = await driver.submit('U0001', metadata, { drink: 'Latte', size: 'Small', customizations: 'oat \udc00' });
      expect(customizations).toEqual({ response_action: 'errors', errors: { customizations: expect.stringMatching(/can't store/) } });
      expect(await stack.db.sql`select 1 from orders where run_id = ${runId}`).toHaveLength(0);
      expect(errorLogs()).toEqual([]);
    });
  });
});
