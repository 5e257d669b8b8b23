import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { CloudEvent } from 'cloudevents';
import { toBinaryHttp } from '../../shared/events/http-binding.ts';
import { listParked, replayParked } from '../../shared/events/dead-letters.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';

const participants = Array.from({ length: 30 }, (_, i) => `U${String(i + 1).padStart(3, '0')}`);
const drinks = ['Latte', 'Espresso', 'Cappuccino', 'Americano', 'Mocha'];

const transports: [string, (() => { brokers: string; topicPrefix: string }) | null][] = [
  ['the in-process bus', null],
  ['a real Kafka broker', () => ({ brokers: inject('kafkaBrokers'), topicPrefix: `flow${Date.now()}.` })],
];

describe.each(transports)('close → runner → summary and DM, through %s', (_name, kafka) => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  let channelSeq = 0;
  const newChannel = () => `CFLOW${kafka ? 'K' : 'B'}${++channelSeq}`;

  beforeAll(async () => {
    stack = await startTestStack({
      functions: registry,
      users: { UADMIN: { is_admin: true } },
      busPolicy: { retries: 3, backoffDelayMs: 50, timeoutMs: 5000 },
      ...(kafka ? { kafka: kafka() } : {}),
    });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  /** Served history: U001 (oldest) … U029 (newest) each ran once; U030 never did. */
  async function seedHistory(channel: string): Promise<void> {
    const seedRun = await drive.startRun(channel, 'in 10m seed');
    await stack.db.sql`update runs set status = 'completed' where id = ${seedRun}`;
    const [channelRow] = await stack.db.sql<{ id: string }[]>`select id from channels where slack_channel_id = ${channel}`;
    for (const [i, user] of participants.slice(0, 29).entries()) {
      await stack.db.sql`insert into users (slack_user_id, slack_team_id) values (${user}, 'T0001') on conflict do nothing`;
      await stack.db.sql`
        insert into runs (channel_id, initiator_id, runner_id, status, time_zone, started_at, closed_at, completed_at)
        select ${channelRow!.id}, u.id, u.id, 'completed', 'UTC', now() - make_interval(days => ${60 - i}), now() - make_interval(days => ${60 - i}), now() - make_interval(days => ${60 - i})
        from users u where u.slack_user_id = ${user}`;
    }
  }

  const posts = (channel: string) => stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && !c.args.thread_ts);
  const summaries = (channel: string) => posts(channel).filter((c) => String(c.args.text).startsWith(':coffee: Coffee run closed'));
  const listBlocks = (blocks: unknown) =>
    JSON.stringify((blocks as { block_id?: string }[]).filter((b) => b.block_id?.startsWith('orders.') || b.block_id === 'totals'));
  const status = async (runId: string) => (await stack.db.sql<{ status: string }[]>`select status from runs where id = ${runId}`)[0]!.status;

  it('30 participants: one summary and one DM with the identical list and totals, the runner chosen by the rule; redelivering every event three times changes nothing', async () => {
    const channel = newChannel();
    await seedHistory(channel);
    const runId = await drive.startRun(channel);
    for (const [i, user] of participants.entries()) {
      await drive.order(user, channel, runId, { drink: drinks[i % 5], size: ['Small', 'Medium', 'Large'][i % 3] });
    }
    await drive.click('U001', channel, 'run.close', runId);
    expect(drive.lastEphemeral('U001')).toMatch(/Closing the run/);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    await expect.poll(() => stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'DU030').length, { timeout: 20_000 }).toBe(1);

    const [summary] = summaries(channel);
    expect(String(summary!.args.text)).toContain('<@U030> is going (30 orders)');
    const why = JSON.stringify(summary!.args.blocks);
    expect(why).toContain('<@U030>: 0 of the last 5 runs');
    const [dm] = stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'DU030');
    expect(listBlocks(dm!.args.blocks)).toBe(listBlocks(summary!.args.blocks));
    // Five drinks by three sizes over 30 people: every combination twice.
    expect(listBlocks(summary!.args.blocks)).toContain('*Totals:* 2× Americano (Large), 2× Americano (Medium), 2× Americano (Small), 2× Cappuccino (Large)');
    for (const user of participants) expect(listBlocks(summary!.args.blocks)).toContain(`<@${user}>`);
    const [row] = await stack.db.sql<{ messageTs: string }[]>`select message_ts from runs where id = ${runId}`;
    const runMessage = () => JSON.stringify(stack.slack.messages(channel).find((m) => m.ts === row!.messageTs)!.blocks);
    expect(runMessage()).toContain('Closed: <@U030> is going');
    expect(runMessage()).not.toContain('run.close');
    expect(await status(runId)).toBe('closed');

    // Every event of the flow delivered twice more, exactly as a KafkaSource redelivers.
    const slackCallsBefore = stack.slack.calls.length;
    const processedBefore = (await stack.db.sql`select 1 from processed_events`).length;
    const events = await stack.db.sql<
      { eventId: string; type: string; source: string; subject: string; partitionKey: string; data: unknown; createdAt: Date }[]
    >`
      select event_id, type, source, subject, partition_key, data, created_at from outbox where subject = ${runId} order by created_at, id`;
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['com.coffeebuddy.run.close_requested', 'com.coffeebuddy.run.closed', 'com.coffeebuddy.runner.assigned']),
    );
    for (const row of events) {
      const event = new CloudEvent({
        id: row.eventId,
        type: row.type,
        source: row.source,
        subject: row.subject,
        partitionkey: row.partitionKey,
        datacontenttype: 'application/json',
        data: row.data,
      });
      for (const fn of registry.filter((f) => row.type in f.consumes)) {
        for (let i = 0; i < 2; i++) {
          const { headers, body } = toBinaryHttp(event);
          const response = await stack.postEvent(fn.name, { headers, body });
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ status: 'duplicate' });
        }
      }
    }
    expect(stack.slack.calls.length).toBe(slackCallsBefore);
    expect((await stack.db.sql`select 1 from processed_events`).length).toBe(processedBefore);
    expect(summaries(channel)).toHaveLength(1);

    // The runner marks it done; nobody else may.
    await drive.click('U005', 'DU005', 'runner.done', runId);
    expect(drive.lastEphemeral('U005')).toBe('Only the runner, <@U030>, can do that.');
    await drive.click('U030', 'DU030', 'runner.done', runId);
    expect(await status(runId)).toBe('completed');
    await expect.poll(runMessage, { timeout: 20_000 }).toContain('Done: <@U030> picked up the coffee');
    // The runner's DM says so too, keeps the list and has no buttons left; an old Mark done stays harmless.
    await expect.poll(() => stack.slack.messages('DU030')[0]!.text, { timeout: 20_000 }).toBe(`Done — thanks for getting the coffee for <#${channel}>!`);
    expect(stack.slack.messages('DU030')).toHaveLength(1);
    const doneBlocks = JSON.stringify(stack.slack.messages('DU030')[0]!.blocks);
    expect(doneBlocks).toContain(`:white_check_mark: Done — thanks for getting the coffee for <#${channel}>!`);
    expect(listBlocks(stack.slack.messages('DU030')[0]!.blocks)).toBe(listBlocks(dm!.args.blocks));
    expect(doneBlocks).not.toContain('"type":"actions"');
    await drive.click('U030', 'DU030', 'runner.done', runId);
    expect(drive.lastEphemeral('U030')).toBe('This run is already marked done. Thanks!');
    // Cancel after completion is refused.
    await drive.click('U001', channel, 'run.cancel', runId);
    expect(drive.lastEphemeral('U001')).toBe('This run is already done, so it can no longer be canceled.');
    expect(await status(runId)).toBe('completed');
  });

  it('10 concurrent Close clicks yield one close request, one runner and one summary', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { freeText: 'Chai' });
    await Promise.all(Array.from({ length: 10 }, () => drive.click('U001', channel, 'run.close', runId)));
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    const requests = await stack.db.sql`select 1 from outbox where subject = ${runId} and type = 'com.coffeebuddy.run.close_requested'`;
    const assigned = await stack.db.sql`select 1 from outbox where subject = ${runId} and type = 'com.coffeebuddy.runner.assigned'`;
    expect([requests.length, assigned.length]).toEqual([1, 1]);
    await stack.drain();
    expect(summaries(channel)).toHaveLength(1);
  });

  it('honours Slack rate limits (HTTP 429, Retry-After) and still posts exactly one summary; metrics move', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U004', channel, runId, { drink: 'Espresso', size: 'Small' });
    stack.slack.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 1 });
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/coffeebuddy_slack_calls_total\{method="chat.postMessage",outcome="rate_limited"\} [1-9]/);
    expect(metrics).toMatch(/coffeebuddy_runs_total\{status="closed"\} [1-9]/);
    expect(metrics).toMatch(/coffeebuddy_run_duration_seconds_count [1-9]/);
  });

  it('a Slack failure after the summary was posted is retried without posting the summary twice', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U006', channel, runId, { drink: 'Latte', size: 'Large' });
    // Opening the runner's DM fails for longer than the SDK's own retries: the delivery fails.
    stack.slack.failNext('conversations.open', { status: 503, times: 3 });
    await drive.click('U001', channel, 'run.close', runId);
    await expect
      .poll(() => stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'DU006' && String(c.args.text).includes(`<#${channel}>`)).length, {
        timeout: 20_000,
      })
      .toBe(1);
    expect(summaries(channel)).toHaveLength(1);
    expect(stack.slack.callsTo('conversations.open').length).toBeGreaterThanOrEqual(4);
  });

  it('refuses a close by anyone but the initiator or an admin', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.click('U002', channel, 'run.close', runId);
    expect(drive.lastEphemeral('U002')).toBe('Only <@U001> (who started it) or a channel admin can close it.');
    // Typed, the answer says which run it is about.
    expect(await drive.command(channel, 'close', 'U002')).toMatch(
      /^The open run here \(\*Lobby\*, pickup <!date\^\d+\^\{time\} \{date_short_pretty\}\|\d\d:\d\d UTC>\) was started by <@U001>\. Only <@U001> \(who started it\) or a channel admin can close it\.$/,
    );
    expect(await status(runId)).toBe('open');
    expect(await drive.command(channel, 'close', 'UADMIN')).toMatch(/Closing the run/);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    expect(String(summaries(channel)[0]!.args.text)).toContain('<@U002> is going');
  });

  it('closes a run without orders with "no orders, nobody needs to go" and no runner', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    expect(String(summaries(channel)[0]!.args.text)).toBe(':coffee: Coffee run closed: no orders, nobody needs to go.');
    const [run] = await stack.db.sql<{ runnerId: string | null }[]>`select runner_id from runs where id = ${runId}`;
    expect(run!.runnerId).toBeNull();
    // History says what happened: closed, nobody on the way.
    expect(await drive.command(channel, 'history')).toMatch(/: closed, no runner, 0 orders/);
  });

  it("I can't go: the next fairest participant is picked, both messages say so, and it is recorded", async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Large' });
    await drive.click('U003', channel, 'run.volunteer', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => summaries(channel).length, { timeout: 20_000 }).toBe(1);
    expect(String(summaries(channel)[0]!.args.text)).toContain('<@U003> is going');
    expect(JSON.stringify(summaries(channel)[0]!.args.blocks)).toContain('volunteered');

    const dmsFor = (user: string) =>
      stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === `D${user}` && String(c.args.text).includes(`<#${channel}>`));
    // I can't go is a button on the runner's DM: it is pressed once the DM is there. Where the
    // summary is is known once Slack took it (a post it rate-limited is retried, and only then recorded).
    const recordedSummary = async () =>
      (await stack.db.sql<{ ts: string }[]>`select ts from slack_messages where run_id = ${runId} and kind = 'summary' and ts is not null`)[0]?.ts;
    await expect.poll(recordedSummary, { timeout: 20_000 }).toBeDefined();
    await expect.poll(() => dmsFor('U003').length, { timeout: 60_000 }).toBe(1);
    const summaryTs = (await recordedSummary())!;
    await drive.click('U003', 'DU003', 'runner.decline', runId);
    await expect
      .poll(() => String(stack.slack.messages(channel).find((m) => m.ts === summaryTs)?.text), { timeout: 60_000 })
      .toContain("<@U003> can't go, so <@U002> is going");
    // By now this file's runs have spent most of the workspace's chat.update allowance (Tier 3, 50 a
    // minute, as the emulator enforces): the reassignment's edits wait out Slack's Retry-After.
    await expect.poll(() => dmsFor('U002').length, { timeout: 60_000 }).toBe(1);
    expect(dmsFor('U003')).toHaveLength(1);
    expect(
      stack.slack
        .messages('DU003')
        .filter((m) => String(m.text).includes(`<#${channel}>`))
        .map((m) => m.text),
    ).toEqual([`No need to go for <#${channel}> any more: <@U002> is going instead.`]);
    expect(
      await stack.db.sql`select 1 from run_declines d join users u on u.id = d.user_id where d.run_id = ${runId} and u.slack_user_id = 'U003'`,
    ).toHaveLength(1);
    expect(summaries(channel)).toHaveLength(1);
  }, 120_000);

  it('cancel tells the participants in the thread, and canceled runs never count toward fairness', async () => {
    const channel = newChannel();
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.click('U002', channel, 'run.cancel', runId);
    expect(drive.lastEphemeral('U002')).toMatch(/Only <@U001>/);
    expect(await drive.command(channel, 'cancel', 'U001')).toMatch(/canceled/);
    expect(await status(runId)).toBe('canceled');
    await expect
      .poll(
        () =>
          stack.slack
            .callsTo('chat.postMessage')
            .filter((c) => c.args.channel === channel && c.args.thread_ts)
            .map((c) => String(c.args.text)),
        { timeout: 20_000 },
      )
      .toEqual([expect.stringContaining("<@U002>: your orders won't be picked up")]);
    const stats = await drive.command(channel, 'stats');
    expect(stats).toMatch(/No runs with a runner here yet/);
    expect(await drive.command(channel, 'history')).toMatch(/canceled, no runner, 1 order/);
  });

  it('/coffee history and /coffee stats show the runs and the fairness', async () => {
    const channel = newChannel();
    for (const runner of ['U002', 'U003']) {
      const runId = await drive.startRun(channel);
      await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
      await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Small' });
      await drive.click(runner, channel, 'run.volunteer', runId);
      await drive.click('U001', channel, 'run.close', runId);
      await expect.poll(() => status(runId), { timeout: 20_000 }).toBe('closed');
      await expect.poll(async () => (await stack.db.sql`select 1 from runs where id = ${runId} and runner_id is not null`).length, { timeout: 20_000 }).toBe(1);
      await drive.click(runner, `D${runner}`, 'runner.done', runId);
    }
    const history = await drive.command(channel, 'history');
    expect(history.match(/done, runner <@U00[23]>, 2 orders/g)).toHaveLength(2);
    const stats = await drive.command(channel, 'stats');
    expect(stats).toContain('<@U002>: ran 1 of the last 2 · 1 all time · carried 1 cup for others · received 1 cup');
    expect(stats).toContain('<@U003>: ran 1 of the last 2 · 1 all time · carried 1 cup for others · received 1 cup');
    expect(await drive.command(channel, 'history x')).toMatch(/not a page number/);
  });
});

// What gave up lands in the database, where an operator lists and replays it (npm run dead-letters).
describe('replaying what was parked', () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  beforeAll(async () => {
    stack = await startTestStack({
      functions: registry,
      busPolicy: { retries: 3, backoffDelayMs: 20, timeoutMs: 5000 },
      // Give up on an effect after half a second, so "Slack down for longer than we retry" is quick.
      effectPolicy: { baseDelayMs: 50, maxDelayMs: 100, maxAgeMs: 500, leaseMs: 10_000 },
    });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });
  const summaries = (channel: string) =>
    stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && String(c.args.text).startsWith(':coffee: Coffee run closed'));
  const dms = (user: string, channel: string) =>
    stack.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === `D${user}` && String(c.args.text).includes(`<#${channel}>`));

  it('an announcement parked after Slack stayed down, replayed twice at once by an operator, posts the DM once', async () => {
    const channel = 'CREPLAY1';
    const runId = await drive.startRun(channel);
    await drive.order('U007', channel, runId, { drink: 'Mocha', size: 'Small' });
    stack.slack.failNext('conversations.open', { status: 503, times: 1000 });
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(async () => (await listParked(stack.db.sql)).filter((p) => p.where === runId), { timeout: 20_000 }).toHaveLength(1);
    const [parked] = (await listParked(stack.db.sql)).filter((p) => p.where === runId);
    expect(parked).toMatchObject({ kind: 'effect', what: 'close-run:com.coffeebuddy.runner.assigned', error: 'Slack conversations.open unavailable' });
    expect(summaries(channel)).toHaveLength(1);
    expect(dms('U007', channel)).toHaveLength(0);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/coffeebuddy_slack_effects\{state="parked"\} [1-9]/);

    stack.slack.reset();
    const outcomes = await Promise.all([replayParked(stack.db.sql, parked!.id, new Date()), replayParked(stack.db.sql, parked!.id, new Date())]);
    expect(outcomes.sort()).toEqual(['not_found', 'replayed']);
    await stack.runtime.effects.sweep();
    await expect.poll(() => dms('U007', channel).length, { timeout: 10_000 }).toBe(1);
    await stack.runtime.effects.sweep();
    expect(dms('U007', channel)).toHaveLength(1);
    expect(summaries(channel)).toHaveLength(0);
    expect((await listParked(stack.db.sql)).filter((p) => p.where === runId)).toEqual([]);
  });

  it('a dead-lettered event replayed by an operator reaches its consumer once', async () => {
    const channel = 'CREPLAY2';
    const runId = await drive.startRun(channel);
    await drive.order('U008', channel, runId, { drink: 'Latte', size: 'Small' });
    // An event that was dead-lettered before it was handled (say, by a bug since fixed).
    const event = new CloudEvent({
      id: '7f0c1d5e-0000-4000-8000-000000000001',
      type: 'com.coffeebuddy.run.close_requested',
      source: 'interaction',
      subject: runId,
      datacontenttype: 'application/json',
      correlationid: runId,
      partitionkey: channel,
      data: { runId, slackChannelId: channel, requestedBySlackUserId: 'U001' },
    });
    const { data, ...attributes } = event.toJSON();
    const [letter] = await stack.db.sql<{ id: string }[]>`
      insert into dead_letter_events (consumer, event_id, type, source, subject, attributes, data, status_code, error, attempts)
      values ('close-run', ${event.id}, ${event.type}, ${event.source}, ${runId}, ${stack.db.sql.json(attributes as never)}, ${stack.db.sql.json(data as never)}, 503, 'bug', 6)
      returning id`;
    expect((await listParked(stack.db.sql)).map((p) => p.id)).toContain(letter!.id);

    const outcomes = await Promise.all([replayParked(stack.db.sql, letter!.id, new Date()), replayParked(stack.db.sql, letter!.id, new Date())]);
    expect(outcomes.sort()).toEqual(['not_found', 'replayed']);
    await stack.runtime.relay!.flush();
    await expect.poll(() => summaries(channel).length, { timeout: 10_000 }).toBe(1);
    expect(String(summaries(channel)[0]!.args.text)).toContain('<@U008> is going');
    expect((await listParked(stack.db.sql)).map((p) => p.id)).not.toContain(letter!.id);
  });
});
