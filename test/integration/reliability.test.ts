import { CloudEvent } from 'cloudevents';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { syncRunMessageKind } from '../../shared/domain/run-message-effect.ts';
import { toBinaryHttp } from '../../shared/events/http-binding.ts';
import { defaultRetryPolicy } from '../../shared/events/delivery.ts';
import { eventPath } from '../../shared/function.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { slashCommandBody } from '../support/slack-requests.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { adminDatabaseUrl } from '../support/test-db.ts';

/** Posts in a channel (not in threads) that CoffeeBuddy tagged as the given kind of post. */
function postsOfKind(stack: TestStack, channel: string, kind: string) {
  return stack.slack.messages(channel).filter((m) => {
    const meta = m.metadata as { event_payload?: { kind?: string } } | undefined;
    return meta?.event_payload?.kind === kind;
  });
}

/** Messages in Slack (posted, whatever was attempted). */
const summaries = (stack: TestStack, channel: string) => postsOfKind(stack, channel, 'summary');
const runnerDms = (stack: TestStack, user: string, channel: string) => stack.slack.messages(`D${user}`).filter((m) => String(m.text).includes(`<#${channel}>`));

describe('Slack slow, down or rate-limited: nothing lost, nothing doubled, nobody misled', () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  let seq = 0;
  const newChannel = () => `CREL${++seq}`;
  beforeAll(async () => {
    // Effects time out after 1 s here, so an answer that takes 2.5 s is an uncertain post.
    stack = await startTestStack({ functions: registry, slackTimeouts: { ackMs: 1000, effectMs: 1000 } });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });
  afterEach(() => stack.slack.setOutage(false));

  it('Slack taking /coffee but answering late: the user hears back in time and there is one run message', async () => {
    const channel = newChannel();
    stack.slack.failNext('chat.postMessage', { delayMs: 2500 });
    // In time is Slack's 3 s (postSigned fails past it); the answer says the post was slow.
    const response = await stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: 'in 20m Lobby', channelId: channel }));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('will appear here shortly');
    // The late answer and every retry it caused, made due at once: still one.
    expect(await stack.runRetries()).toBe(0);
    expect(stack.slack.messages(channel)).toHaveLength(1);
    const [run] = await stack.db.sql<{ messageTs: string; status: string }[]>`
      select r.message_ts, r.status from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel}`;
    expect(run).toEqual({ messageTs: stack.slack.messages(channel)[0]!.ts, status: 'open' });
  });

  it('Slack taking the summary and the DM but answering late: one summary, one DM', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    stack.slack.failNext('chat.postMessage', { delayMs: 2500, times: 2 });
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => postsOfKind(stack, channel, 'summary').length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => postsOfKind(stack, 'DU002', 'runner_dm:U002').length, { timeout: 15_000 }).toBe(1);
    // Both late answers timed out, so both posts are retried: once those retries have run, still one each.
    expect(await stack.runRetries()).toBe(0);
    expect(postsOfKind(stack, channel, 'summary')).toHaveLength(1);
    expect(postsOfKind(stack, 'DU002', 'runner_dm:U002')).toHaveLength(1);
  });

  it('a saved order closes the modal as saved even when refreshing the run message fails, and the refresh is retried', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    const modal = await drive.openModal('U003', channel, runId);
    stack.slack.failNext('chat.update', { status: 500, times: 2 });
    expect(await drive.submit('U003', modal.private_metadata, { drink: 'Mocha', size: 'Large' })).toBeNull();
    expect(drive.lastEphemeral('U003')).toMatch(/^Your order is in/);
    await expect.poll(() => String(JSON.stringify(stack.slack.messages(channel)[0]?.blocks)), { timeout: 10_000 }).toContain('1 person has ordered');
  });

  it("a rate-limited run message (429, Retry-After 2) neither slows the modal's answer nor other users' views.open", async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    const modal = await drive.openModal('U004', channel, runId);
    stack.slack.failNext('chat.update', { status: 429, retryAfterSeconds: 2 });
    const updates = () => stack.slack.callsTo('chat.update').filter((call) => call.args.channel === channel).length;
    const refresh = async () =>
      (
        await stack.db.sql<{ done: boolean; attempts: number; lastError: string | null }[]>`
          select done_at is not null as done, attempts, last_error from slack_effects where scope = ${runId} and kind = ${syncRunMessageKind} order by id desc limit 1`
      )[0];
    expect(await drive.submit('U004', modal.private_metadata, { drink: 'Latte', size: 'Medium' })).toBeNull();
    // Not slowed: the 429 ended the refresh's attempt at once (recorded, no waiting inside the
    // Slack client), and the answer came before the retry, which waits out Retry-After.
    expect(await refresh()).toEqual({ done: false, attempts: 1, lastError: expect.stringMatching(/rate/i) });
    expect(updates()).toBe(1);
    await drive.openModal('U005', channel, runId);
    expect(updates()).toBe(1);
    await expect.poll(() => String(JSON.stringify(stack.slack.messages(channel)[0]?.blocks)), { timeout: 10_000 }).toContain('1 person has ordered');
    expect(updates()).toBe(2);
  });

  it('a close whose ephemeral answer fails still closes, and nobody is told "nothing was changed"', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U006', channel, runId, { drink: 'Americano', size: 'Small' });
    stack.slack.failNext('chat.postEphemeral', { status: 500 });
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => summaries(stack, channel).length, { timeout: 10_000 }).toBe(1);
    const apologies = stack.slack.calls.filter((c) => String(c.args.text).includes('nothing was changed'));
    expect(apologies).toEqual([]);
  });

  it.each([5, 20])('%i concurrent deliveries of one event on a pool of 5: all answered within seconds, posted once', async (deliveries) => {
    const own = await startTestStack({ functions: registry, env: { DATABASE_POOL_MAX: '5' }, ownPool: {} });
    try {
      const ownDrive = createRunDriver(own);
      const channel = `CCONC${deliveries}`;
      const runId = await ownDrive.startRun(channel);
      await ownDrive.order('U002', channel, runId, { drink: 'Espresso', size: 'Small' });
      // The run as fairness-assign leaves it, and the event it emits, delivered many times at once
      // (KafkaSource redelivers after a timeout; a replay may overlap).
      await own.db.sql`
        update runs set status = 'closed', closed_at = now(), runner_reason = 'fewest runs',
          runner_id = (select id from users where slack_user_id = 'U002')
        where id = ${runId}`;
      const event = new CloudEvent({
        id: `assigned-${deliveries}`,
        type: 'com.coffeebuddy.runner.assigned',
        source: 'fairness-assign',
        subject: runId,
        datacontenttype: 'application/json',
        correlationid: runId,
        partitionkey: channel,
        data: { runId, slackChannelId: channel, runnerSlackUserId: 'U002', replacesSlackUserId: null, rule: 'fewest_served', explanation: 'fewest runs' },
      });
      const { headers, body } = toBinaryHttp(event);
      const token = await own.eventHeaders('close-run');
      // Each within KafkaSource's delivery timeout, past which it would deliver the event once more.
      const answers = await Promise.all(
        Array.from({ length: deliveries }, () =>
          fetch(`${own.url}${eventPath('close-run')}`, {
            method: 'POST',
            headers: { ...headers, ...token },
            body,
            signal: AbortSignal.timeout(defaultRetryPolicy.timeoutMs),
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(deliveries).fill(200));
      const outcomes = await Promise.all(answers.map(async (a) => ((await a.json()) as { status: string }).status));
      expect(outcomes.filter((outcome) => outcome !== 'duplicate')).toHaveLength(1);
      await own.drain();
      expect(summaries(own, channel)).toHaveLength(1);
      expect(runnerDms(own, 'U002', channel)).toHaveLength(1);
      expect((await fetch(`${own.url}/health/ready`)).status).toBe(200);
    } finally {
      await own.close();
    }
  });
});

describe('Slack down while a run closes', () => {
  /** Six attempts on production's backoff take ~15 s (waits of 0.5 + 1 + 2 + 4 + 8 s, ±20 %): this leaves room for a slow machine. */
  const refusedAttemptsTimeoutMs = 40_000;

  it('down through six refused attempts at the summary (~15 s): the summary and the DM appear once each after Slack returns, in real time on production timings', async () => {
    // Production's retry policy and sweep interval: the worker's own wake-ups make the retries.
    const stack = await startTestStack({ functions: registry, slackTimeouts: { ackMs: 1000, effectMs: 1000 } });
    try {
      const drive = createRunDriver(stack);
      const channel = 'COUT15';
      const runId = await drive.startRun(channel);
      await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
      // An attempt at the summary is a chat.postMessage, or after an uncertain one (a 503) the
      // conversations.history that looks for it first.
      const attempts = () =>
        [...stack.slack.callsTo('chat.postMessage'), ...stack.slack.callsTo('conversations.history')].filter((call) => call.args.channel === channel).length;
      const attemptsBefore = attempts();
      stack.slack.setOutage(true);
      await drive.click('U001', channel, 'run.close', runId);
      await expect.poll(async () => (await stack.db.sql`select 1 from runs where id = ${runId} and runner_id is not null`).length, { timeout: 10_000 }).toBe(1);
      // The outage lasts until the summary has been refused six times on production's backoff
      // (0.5 s, doubling): ~15 s, the last wait already 8 s. Each attempt reached Slack and got a 503.
      await expect.poll(() => attempts() - attemptsBefore, { timeout: refusedAttemptsTimeoutMs, interval: 250 }).toBeGreaterThanOrEqual(6);
      expect(summaries(stack, channel)).toHaveLength(0);
      stack.slack.setOutage(false);
      // The backoff is at most 30 s (+20 % jitter): generous for the one retry after Slack is back.
      await expect.poll(() => summaries(stack, channel).length + runnerDms(stack, 'U002', channel).length, { timeout: 60_000, interval: 250 }).toBe(2);
      await stack.drain();
      expect(summaries(stack, channel)).toHaveLength(1);
      expect(runnerDms(stack, 'U002', channel)).toHaveLength(1);
      const [run] = await stack.db.sql<{ status: string }[]>`select status from runs where id = ${runId}`;
      expect(run!.status).toBe('closed');
      expect(String(JSON.stringify(stack.slack.messages(channel)[0]?.blocks))).toContain('is going');
    } finally {
      await stack.close();
    }
  }, 120_000);

  it('down 10 minutes (on the app clock): posted within 60 s of Slack returning, once each, and the backlog gauge shows the wait', async () => {
    const stack = await startTestStack({ functions: registry, sweepMs: 0, slackTimeouts: { ackMs: 1000, effectMs: 1000 } });
    try {
      const drive = createRunDriver(stack);
      const channel = 'COUT600';
      const runId = await drive.startRun(channel);
      await drive.order('U002', channel, runId, { drink: 'Mocha', size: 'Large' });
      stack.slack.setOutage(true);
      await drive.click('U001', channel, 'run.close', runId);
      await expect.poll(async () => (await stack.db.sql`select 1 from runs where id = ${runId} and runner_id is not null`).length, { timeout: 10_000 }).toBe(1);
      // The summary and DM are one effect, written when close-run takes runner.assigned: the outage
      // is timed from there, so the backlog's age does not depend on how loaded the machine is.
      await expect
        .poll(
          async () =>
            (await stack.db.sql`select 1 from slack_effects where scope = ${runId} and kind like 'close-run:%runner.assigned' and done_at is null`).length,
          {
            timeout: 10_000,
          },
        )
        .toBe(1);
      const advance = async (ms: number) => {
        stack.clock.now = new Date(stack.clock.now.getTime() + ms);
        await stack.drain();
      };
      for (let step = 0; step < 20; step++) await advance(30_000);
      const metrics = await (await fetch(`${stack.url}/metrics`)).text();
      const age = Number(/^coffeebuddy_slack_effects_oldest_pending_seconds(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1]);
      expect(age).toBeGreaterThanOrEqual(600);
      expect(metrics).toMatch(/coffeebuddy_slack_effects\{state="pending"\} [1-9]/);
      expect(summaries(stack, channel)).toHaveLength(0);

      stack.slack.setOutage(false);
      const back = stack.clock.now.getTime();
      // When the worker will try next, read from the clock it schedules by: within 60 s of now.
      const [next] = await stack.db.sql<{ dueAt: Date }[]>`
        select next_attempt_at as due_at from slack_effects where scope = ${runId} and done_at is null and parked_at is null order by id limit 1`;
      expect(next!.dueAt.getTime() - back).toBeLessThanOrEqual(60_000);
      await stack.drain();
      expect(summaries(stack, channel)).toHaveLength(0);
      stack.clock.now = next!.dueAt;
      await stack.drain();
      expect(summaries(stack, channel)).toHaveLength(1);
      expect(runnerDms(stack, 'U002', channel)).toHaveLength(1);
    } finally {
      await stack.close();
    }
  }, 60_000);
});

describe('Postgres partitioned', () => {
  let proxy: TcpProxy;
  let stack: TestStack;
  beforeAll(async () => {
    const admin = new URL(adminDatabaseUrl());
    proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    // One connection, warmed before the partition: the worst case, a warm pool whose queries hang.
    stack = await startTestStack({ functions: registry, env: { DATABASE_POOL_MAX: '1' }, ownPool: { urlFor: (url) => proxy.urlFor(url) } });
  });
  afterAll(async () => {
    proxy.heal();
    await stack.close();
    await proxy.close();
  });

  it('answers within the ack budget with "try again in a minute", reports not ready, and recovers when it heals', async () => {
    const responseUrl = stack.slack.responseUrl('partition');
    const command = (text: string) => stack.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text, channelId: 'CPART', responseUrl }));
    expect((await command('help')).status).toBe(200);

    proxy.partition();
    // Within Slack's 3 s (postSigned fails past it), from the path that runs at the ack deadline.
    const text = await (await command('help')).text();
    expect(text, text).toContain("database isn't answering right now. Please try again in a minute");
    expect((await fetch(`${stack.url}/health/ready`)).status).toBe(503);

    proxy.heal();
    // Healed: the help itself answers, not the ack deadline's apology.
    expect(await (await command('help')).text()).toContain('`/coffee help` shows this.');
    // The command that waited through the partition still answers, at its response_url.
    await expect.poll(() => stack.slack.callsTo('response_url').length, { timeout: 10_000 }).toBe(1);
    expect((await fetch(`${stack.url}/health/ready`)).status).toBe(200);
  }, 30_000);

  it('a connection that cannot be made: "nothing was done, try again in a minute" within the connect timeout', async () => {
    const cold = await startTestStack({ functions: registry, env: { DATABASE_CONNECT_TIMEOUT_MS: '1000' }, ownPool: { urlFor: (url) => proxy.urlFor(url) } });
    try {
      proxy.partition();
      const response = await cold.postSigned('/slack/commands', slashCommandBody({ trigger: stack.slack, text: 'in 20m Lobby', channelId: 'CCOLD' }));
      // This answer comes from the failed connect: had the ack deadline come first, the apology
      // would be "isn't answering" (the partition test's).
      expect(await response.text()).toContain("can't reach its database right now, so nothing was done. Please try again in a minute.");
      proxy.heal();
      // Nothing half-written: the run was never started.
      expect(await cold.db.sql`select 1 from runs`).toHaveLength(0);
    } finally {
      proxy.heal();
      await cold.close();
    }
  }, 30_000);
});
