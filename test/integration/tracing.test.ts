import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { createLogger } from '../../shared/logging.ts';
import { startTestStack, testSigningSecret, type TestStack } from '../support/harness.ts';
import { createProbeConsumer } from '../support/probe-consumer.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { blockActionBody, slackHeaders, slashCommandBody } from '../support/slack-requests.ts';
import { parseTraceparent } from '../../shared/tracing.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const closeTraceId = 'a3ce929d0e0e47364bf92f3577b34da6';
const callerSpanId = '00f067aa0ba902b7';

const transports: [string, (() => { brokers: string; topicPrefix: string }) | null][] = [
  ['the in-process bus', null],
  ['a real Kafka broker', () => ({ brokers: inject('kafkaBrokers'), topicPrefix: `trace${Date.now()}.` })],
];

describe.each(transports)('W3C trace context from a Slack request through the outbox and %s', (_name, kafka) => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  const lines: Record<string, unknown>[] = [];
  const probe = createProbeConsumer('reminder-due');

  beforeAll(async () => {
    stack = await startTestStack({
      functions: [...registry.filter((fn) => fn.name !== 'reminder-due'), probe.descriptor],
      log: createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
      ...(kafka ? { kafka: kafka() } : {}),
    });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  /** POST a signed Slack request carrying a `traceparent` header, as Kong forwards it. */
  async function postTraced(path: string, body: string, traceparent: string): Promise<void> {
    const headers = { ...slackHeaders(testSigningSecret, body, stack.clock.now), traceparent };
    const response = await fetch(`${stack.url}${path}`, { method: 'POST', headers, body });
    expect(response.status).toBe(200);
  }

  /** The run's outbox rows, oldest first, with their traceparent read. */
  async function outbox(runId: string) {
    const rows = await stack.db.sql<{ type: string; extensions: Record<string, string> }[]>`
      select type, extensions from outbox where extensions->>'correlationid' = ${runId} order by seq`;
    return rows.map((row) => ({
      type: row.type.replace('com.coffeebuddy.', ''),
      raw: row.extensions.traceparent,
      parent: parseTraceparent(row.extensions.traceparent),
    }));
  }

  async function openRun(channel: string, traceparent?: string): Promise<string> {
    const body = slashCommandBody({ trigger: stack.slack, text: 'in 30m Lobby', channelId: channel, userId: 'U001' });
    if (traceparent) await postTraced('/slack/commands', body, traceparent);
    else await drive.command(channel, 'in 30m Lobby');
    const [run] = await stack.db.sql<{ id: string }[]>`
      select r.id from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel} and r.status = 'open'`;
    return run!.id;
  }

  it('a /coffee with a traceparent writes run.created under that trace, with a span id of its own, and the consumer gets it', async () => {
    const runId = await openRun('CTRACE1', `00-${traceId}-${callerSpanId}-01`);
    const [created] = await outbox(runId);
    expect(created).toMatchObject({ type: 'run.created', parent: { traceId, traceFlags: 1 } });
    expect(created!.parent!.spanId).not.toBe(callerSpanId);
    await expect.poll(() => probe.received.find((event) => event.correlationid === runId)?.traceparent, { timeout: 10_000 }).toBe(created!.raw);
    const command = lines.find((line) => line.function === 'slash-command' && line.traceId === traceId);
    expect(command).toMatchObject({ spanId: created!.parent!.spanId });
  });

  it('a /coffee without one starts a trace of its own', async () => {
    const [first, second] = [await openRun('CTRACE2'), await openRun('CTRACE3')];
    const [a] = await outbox(first);
    const [b] = await outbox(second);
    expect(a!.parent?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(b!.parent?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a!.parent!.traceId).not.toBe(b!.parent!.traceId);
    expect([a!.parent!.traceId, b!.parent!.traceId]).not.toContain(traceId);
  });

  it('closing a run: the close request, the deliveries it causes and the events they emit are one trace', async () => {
    const channel = 'CTRACE4';
    const runId = await openRun(channel);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await postTraced(
      '/slack/interactions',
      blockActionBody({ trigger: stack.slack, userId: 'U001', channelId: channel, actionId: 'run.close', value: runId }),
      `00-${closeTraceId}-${callerSpanId}-01`,
    );
    await expect.poll(async () => (await outbox(runId)).some((row) => row.type === 'runner.assigned'), { timeout: 20_000 }).toBe(true);

    const rows = await outbox(runId);
    const chain = ['run.close_requested', 'run.closed', 'runner.assigned'].map((type) => rows.find((row) => row.type === type)!);
    for (const row of chain) expect(row.parent).toMatchObject({ traceId: closeTraceId, traceFlags: 1 });
    expect(new Set([callerSpanId, ...chain.map((row) => row.parent!.spanId)]).size).toBe(4);
    expect(rows.find((row) => row.type === 'run.created')!.parent!.traceId).not.toBe(closeTraceId);

    // Each consumer logs the delivery under the trace, with the span id its own events name as parent.
    const processed = (fn: string, type: string) =>
      lines.find((line) => line.function === fn && line.eventType === `com.coffeebuddy.${type}` && line.runId === runId && line.msg === 'event processed');
    expect(processed('close-run', 'run.close_requested')).toMatchObject({ traceId: closeTraceId, spanId: chain[1]!.parent!.spanId });
    expect(processed('fairness-assign', 'run.closed')).toMatchObject({ traceId: closeTraceId, spanId: chain[2]!.parent!.spanId });
  });
});
