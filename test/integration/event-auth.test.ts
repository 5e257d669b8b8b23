import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { buildEvent } from '../../shared/events/cloud-event.ts';
import { toBinaryHttp } from '../../shared/events/http-binding.ts';
import { eventPath } from '../../shared/function.ts';
import { createLogger } from '../../shared/logging.ts';
import { startTestStack, testSigningSecret, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { slackHeaders } from '../support/slack-requests.ts';

const morning = new Date('2026-11-23T08:00:00Z');

/**
 * Issue 10: `/events/<fn>` and `/sweep` take only a bearer JWT from the trusted OIDC issuer for the
 * function's audience (Knative Eventing's sender identity). A forged run.canceled posted without
 * one once edited a real run message; now it is refused before any database work.
 */
describe('internal endpoints need a bearer token for their audience', () => {
  let stack: TestStack;
  let channel: string;
  let runId: string;
  const logLines: { level: string; msg: string }[] = [];

  beforeAll(async () => {
    const log = createLogger({ level: 'warn', write: (line) => logLines.push(JSON.parse(line) as { level: string; msg: string }) });
    stack = await startTestStack({ functions: registry, now: morning, log, users: { U001: { name: 'ana', tz: 'Europe/Berlin' } } });
    channel = 'CAUTH1';
    runId = await createRunDriver(stack).startRun(channel, 'in 30m Lobby', 'U001');
    await stack.bus!.idle();
  });
  afterAll(async () => {
    await stack.close();
  });

  /** Everything a forged event could change: the run, what consumers recorded, Slack. */
  async function snapshot() {
    const [run] = await stack.db.sql`select status, message_ts, runner_id, closed_at from runs where id = ${runId}`;
    const [counts] = await stack.db.sql<{ processed: number; effects: number; outbox: number }[]>`
      select
        (select count(*)::int from processed_events) as processed,
        (select count(*)::int from slack_effects) as effects,
        (select count(*)::int from outbox) as outbox`;
    return { run, counts, slackCalls: stack.slack.calls.length, runMessage: JSON.stringify(stack.slack.messages(channel)) };
  }

  const forgedCancel = () =>
    toBinaryHttp(
      buildEvent(
        {
          type: 'com.coffeebuddy.run.canceled',
          subject: runId,
          partitionKey: channel,
          correlationId: runId,
          data: { runId, slackChannelId: channel, canceledBySlackUserId: 'U666', previousStatus: 'open' },
        },
        { id: randomUUID(), source: 'slash-command', time: morning },
      ),
    );
  const post = (path: string, headers: Record<string, string>, body = '') => fetch(`${stack.url}${path}`, { method: 'POST', headers, body });

  it('refuses a forged run.canceled without credentials: 401, the run message and the database unchanged', async () => {
    const before = await snapshot();
    const { headers, body } = forgedCancel();
    const response = await post(eventPath('close-run'), headers, body);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({ error: 'unauthorized', message: expect.stringContaining('no Authorization header') });
    await stack.bus!.idle();
    expect(await snapshot()).toEqual(before);
    expect(before.run).toMatchObject({ status: 'open' });
  });

  it.each([
    ['a token for another function’s audience', async () => `Bearer ${await stack.issuer!.token('coffeebuddy-fairness-assign')}`, 'another audience'],
    [
      'an expired token',
      async () =>
        `Bearer ${await stack.issuer!.mint({ audience: 'coffeebuddy-close-run', issuedAt: new Date(stack.clock.now.getTime() - 7200_000), expiresInSeconds: 3600 })}`,
      'expired',
    ],
    [
      'a token from another issuer',
      async () => `Bearer ${await stack.issuer!.mint({ audience: 'coffeebuddy-close-run', issuer: 'https://elsewhere.example' })}`,
      'another issuer',
    ],
    ['garbage', async () => 'Bearer e30.e30.e30', 'cannot be read'],
  ])('refuses it with %s too', async (_, authorization, message) => {
    const before = await snapshot();
    const { headers, body } = forgedCancel();
    const response = await post(eventPath('close-run'), { ...headers, authorization: await authorization() }, body);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'unauthorized', message: expect.stringContaining(message) });
    expect(await snapshot()).toEqual(before);
  });

  it('refuses /sweep without a token and runs it with one', async () => {
    const refused = await post('/sweep', {});
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'unauthorized' });
    // npm start's one /sweep serves all six functions: any of their audiences will do.
    const swept = await post('/sweep', await stack.eventHeaders('admin'));
    expect(swept.status).toBe(200);
    expect(await swept.json()).toEqual({ published: expect.any(Number), effects: expect.any(Number) });
  });

  it('leaves health and metrics open, and counts the refusals', async () => {
    expect((await fetch(`${stack.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${stack.url}/health/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/coffeebuddy_errors_total\{type="unauthorized_event"\} 6/);
    expect(metrics).toMatch(/coffeebuddy_unauthorized_requests_total\{route="\/events\/close-run",reason="missing"\} 1/);
    expect(metrics).toMatch(/coffeebuddy_unauthorized_requests_total\{route="\/events\/close-run",reason="audience"\} 1/);
    expect(metrics).toMatch(/coffeebuddy_unauthorized_requests_total\{route="\/sweep",reason="missing"\} 1/);
    // Refusals are warnings (the sender's problem), never errors, and never carry the token.
    expect(logLines.filter((line) => line.level === 'error')).toEqual([]);
    expect(logLines.filter((line) => line.msg === 'request refused: no valid bearer token')).toHaveLength(6);
  });

  it('keeps every Slack route on Slack signatures: unsigned, wrongly signed or stale is 401, and a bearer token is neither needed nor enough', async () => {
    // The routes as served, from the registry: a Slack route added later is checked here too.
    const slackRoutes = stack.runtime.routes.filter((route) => route.auth.kind === 'slack-signature').map((route) => route.path);
    expect(slackRoutes.sort()).toEqual(registry.flatMap((fn) => fn.routes.map((route) => route.path)).sort());
    expect(slackRoutes.length).toBeGreaterThan(0);
    const token = await stack.eventHeaders('slash-command');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = 'text=help';
    for (const path of slackRoutes) {
      const answers = [
        await post(path, { ...token, ...form }, body),
        await post(path, { ...form, ...slackHeaders('not-the-secret', body, morning) }, body),
        await post(path, { ...form, ...slackHeaders(testSigningSecret, body, new Date(morning.getTime() - 6 * 60_000)) }, body),
      ];
      expect({ path, statuses: answers.map((answer) => answer.status) }).toEqual({ path, statuses: [401, 401, 401] });
    }
    expect(await createRunDriver(stack).command(channel, 'help', 'U001')).toMatch(/coffee/i);
  });

  it('lets the stack’s own events through: the run closes end to end on tokens minted per audience', async () => {
    const driver = createRunDriver(stack);
    await driver.order('U001', channel, runId, { drink: 'Latte', size: 'Small' });
    await driver.click('U001', channel, 'run.close', runId);
    await expect
      .poll(() => stack.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith(':coffee: Coffee run closed')), { timeout: 20_000 })
      .toHaveLength(1);
    expect(await stack.db.sql`select 1 from dead_letter_events`).toHaveLength(0);
  });
});
