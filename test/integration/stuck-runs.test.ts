import { randomUUID } from 'node:crypto';
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { buildEvent } from '../../shared/events/cloud-event.ts';
import { replayParked } from '../../shared/events/dead-letters.ts';
import { toBinaryHttp } from '../../shared/events/http-binding.ts';
import { deadLetterPath } from '../../shared/function.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';

const transports: [string, (() => { brokers: string; topicPrefix: string }) | null][] = [
  ['the in-process bus', null],
  ['a real Kafka broker (parked by admin from the dead-letter topic)', () => ({ brokers: inject('kafkaBrokers'), topicPrefix: `stuck${Date.now()}.` })],
];

/**
 * Issue #20 item 6: a run whose close or runner assignment was dead-lettered is stuck until an
 * operator replays the letter. It is counted (`coffeebuddy_stuck_runs`, and once as a failed run)
 * and its thread is told, once; the replay clears it and the run goes on.
 */
describe.each(transports)('stuck runs, through %s', (_name, kafka) => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  let seq = 0;

  beforeAll(async () => {
    stack = await startTestStack({
      functions: registry,
      busPolicy: { retries: 2, backoffDelayMs: 20, timeoutMs: 5000 },
      ...(kafka ? { kafka: kafka() } : {}),
    });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  const stuckGauge = async () => (await stack.metrics.stuckRuns.get()).values[0]?.value;
  const failedRuns = async () => (await stack.metrics.runsTotal.get()).values.find((v) => v.labels.status === 'failed')?.value ?? 0;
  const thread = (channel: string) => {
    const runMessageTs = stack.slack.messages(channel)[0]!.ts;
    return stack.slack.messages(channel).filter((m) => m.thread_ts === runMessageTs && m.ts !== runMessageTs);
  };
  const summaries = (channel: string) => stack.slack.messages(channel).filter((m) => String(m.text).startsWith(':coffee: Coffee run closed'));
  const parked = (runId: string) =>
    stack.db.sql<{ id: string; consumer: string }[]>`select id, consumer from dead_letter_events where subject = ${runId} and replayed_at is null`;

  /**
   * What breaks: the database refuses this run's change (as a full disk or a bad migration would),
   * so every delivery of the step fails and its KafkaSource gives up on it.
   */
  const refuse = async (runId: string, change: string) => {
    const name = `refuse_${runId.replaceAll('-', '_')}`;
    await stack.db.sql.unsafe(`
      create function ${name}() returns trigger language plpgsql as $$ begin raise exception 'could not write the run'; end $$;
      create trigger ${name} before update on runs for each row when (old.id = '${runId}' and ${change}) execute function ${name}();
    `);
    return () => stack.db.sql.unsafe(`drop trigger ${name} on runs; drop function ${name}();`);
  };

  it.each([
    ['close', 'close-run', 'new.status is distinct from old.status', 'while closing'],
    ['runner assignment', 'fairness-assign', 'new.runner_id is distinct from old.runner_id', 'while picking its runner'],
  ])('a dead-lettered %s: counted, told in the thread once, cleared by the replay', async (_step, consumer, change, what) => {
    const channel = `CSTUCK${kafka ? 'K' : 'B'}${++seq}`;
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.click('U002', channel, 'run.volunteer', runId);
    expect(await stuckGauge()).toBe(0);
    const failedBefore = await failedRuns();
    const repair = await refuse(runId, change);

    await drive.click('U001', channel, 'run.close', runId);
    expect(drive.lastEphemeral('U001')).toBe('Closing the run: the runner will be announced here in a moment.');
    await expect.poll(async () => (await parked(runId)).map((row) => row.consumer), { timeout: 30_000 }).toEqual([consumer]);
    await stack.drain();

    expect(await stuckGauge()).toBe(1);
    expect(await failedRuns()).toBe(failedBefore + 1);
    const notice = `:warning: This coffee run is stuck ${what} and needs an operator; they have been alerted. Your orders are kept; once it's fixed, the runner is announced in the channel.`;
    expect(thread(channel).map((m) => m.text)).toEqual([notice]);
    expect(summaries(channel)).toHaveLength(0);

    // The operator fixes the cause and replays the letter (`npm run dead-letters replay <id>`).
    await repair();
    const [letter] = await parked(runId);
    expect(await replayParked(stack.db.sql, letter!.id, stack.clock.now)).toBe('replayed');
    expect(await stuckGauge()).toBe(0);
    await stack.drain();
    await expect.poll(() => summaries(channel).length, { timeout: 30_000 }).toBe(1);
    await stack.drain();
    expect(summaries(channel)[0]!.text).toBe(':coffee: Coffee run closed: <@U002> is going (1 order)');
    // Told once; the failure counted once.
    expect(thread(channel).map((m) => m.text)).toEqual([notice]);
    expect(await failedRuns()).toBe(failedBefore + 1);
    expect(await stuckGauge()).toBe(0);
  });

  it('a second dead letter for a run already stuck, through admin’s POST /events/dead-letters, is parked but neither counted nor told again', async () => {
    const channel = `CSTUCK${kafka ? 'K' : 'B'}${++seq}`;
    const runId = await drive.startRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.click('U002', channel, 'run.volunteer', runId);
    const repair = await refuse(runId, 'new.status is distinct from old.status');
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(async () => (await parked(runId)).length, { timeout: 30_000 }).toBe(1);
    await stack.drain();
    const failedBefore = await failedRuns();
    expect(await stuckGauge()).toBe(1);

    // The announcement of a runner for the same run, given up on by close-run's KafkaSource.
    const assigned = buildEvent(
      {
        type: 'com.coffeebuddy.runner.assigned',
        subject: runId,
        partitionKey: channel,
        correlationId: runId,
        data: { runId, slackChannelId: channel, runnerSlackUserId: 'U002', replacesSlackUserId: null, rule: 'volunteer', explanation: '' },
      },
      { id: randomUUID(), source: 'fairness-assign', time: stack.clock.now },
    );
    const letter = new CloudEvent(
      {
        ...assigned,
        knativeerrorcode: '503',
        knativeerrordest: 'http://close-run.coffeebuddy.svc.cluster.local/events/close-run',
        knativeerrordata: Buffer.from('upstream connect error').toString('base64'),
      },
      false,
    );
    const { headers, body } = toBinaryHttp(letter);
    const answer = await fetch(`${stack.url}${deadLetterPath}`, { method: 'POST', headers: { ...headers, ...(await stack.eventHeaders('admin')) }, body });
    expect(await answer.json()).toEqual({ status: 'parked' });
    await stack.drain();

    expect((await parked(runId)).map((row) => row.consumer).sort()).toEqual(['close-run', 'close-run']);
    expect(await stuckGauge()).toBe(1);
    expect(await failedRuns()).toBe(failedBefore);
    expect(thread(channel).map((m) => m.text)).toEqual([expect.stringMatching(/^:warning: This coffee run is stuck while closing/)]);

    // Stuck until every such letter is replayed.
    await repair();
    const [first, second] = await stack.db.sql<{ id: string }[]>`
      select id from dead_letter_events where subject = ${runId} and replayed_at is null order by created_at, id`;
    expect(await replayParked(stack.db.sql, first!.id, stack.clock.now)).toBe('replayed');
    expect(await stuckGauge()).toBe(1);
    expect(await replayParked(stack.db.sql, second!.id, stack.clock.now)).toBe('replayed');
    expect(await stuckGauge()).toBe(0);
    await stack.drain();
    await expect.poll(() => summaries(channel).length, { timeout: 30_000 }).toBe(1);
  });
});
