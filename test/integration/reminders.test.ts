import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';

const MINUTE = 60_000;

const transports: [string, (() => { brokers: string; topicPrefix: string }) | null][] = [
  ['the in-process bus', null],
  ['a real Kafka broker', () => ({ brokers: inject('kafkaBrokers'), topicPrefix: `remind${Date.now()}.` })],
];

describe.each(transports)('reminders, last call and scheduled close, through %s', (_name, kafka) => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  let seq = 0;
  const newChannel = () => `CREM${kafka ? 'K' : 'B'}${++seq}`;
  // 08:00 UTC on an ordinary day; tests move the clock.
  const start = new Date('2026-11-30T08:00:00Z');

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, now: start, ...(kafka ? { kafka: kafka() } : {}) });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  const setClock = (at: Date) => {
    stack.clock.now = at;
  };
  const tick = async () => {
    const response = await fetch(`${stack.url}/ticks/reminders`, { method: 'POST', headers: await stack.eventHeaders('reminder-due') });
    expect(response.status).toBe(200);
    return ((await response.json()) as { done: number }).done;
  };
  const reminderDms = (user: string) => stack.slack.messages(`D${user}`).filter((m) => String(m.text).includes('pickup for'));
  const runnerOf = async (runId: string) =>
    (await stack.db.sql<{ slackUserId: string | null }[]>`select u.slack_user_id from runs r left join users u on u.id = r.runner_id where r.id = ${runId}`)[0]!
      .slackUserId;
  const waitForRunner = async (runId: string) => {
    await expect.poll(() => runnerOf(runId), { timeout: 20_000 }).not.toBeNull();
    return (await runnerOf(runId))!;
  };
  const pendingReminder = async (runId: string) =>
    (
      await stack.db.sql<{ recipientSlackUserId: string; dueAt: Date }[]>`
      select recipient_slack_user_id, due_at from reminders where run_id = ${runId} and kind = 'runner' and sent_at is null and canceled_at is null`
    )[0];

  /** A closed run with two orders and a runner, pickup at `pickup`. */
  async function closedRun(pickup: string, channel = newChannel()) {
    const runId = await drive.startRun(channel, `${pickup} Lobby cafe`);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.order('U003', channel, runId, { drink: 'Mocha', size: 'Large' });
    await drive.click('U001', channel, 'run.close', runId);
    const runner = await waitForRunner(runId);
    await expect.poll(() => pendingReminder(runId), { timeout: 20_000 }).toBeDefined();
    return { runId, channel, runner };
  }

  it('reminds the runner at pickup − 5 min, once, with the pickup, the note, the orders and Mark done — even with concurrent and repeated ticks', async () => {
    setClock(start);
    const { runner } = await closedRun('08:30');
    setClock(new Date(start.getTime() + 24 * MINUTE));
    await tick();
    expect(reminderDms(runner)).toHaveLength(0);

    setClock(new Date(start.getTime() + 25 * MINUTE));
    await Promise.all([tick(), tick(), tick()]);
    await tick();
    await expect.poll(() => reminderDms(runner).length, { timeout: 10_000 }).toBe(1);
    const [dm] = reminderDms(runner);
    expect(dm!.text).toContain('Reminder: pickup for');
    expect(dm!.text).toContain('<!date^1796027400^{time} {date_short_pretty}|08:30 UTC> (in 5 minutes)');
    const blocks = JSON.stringify(dm!.blocks);
    expect(blocks).toContain('Lobby cafe');
    expect(blocks).toContain('<@U002> Latte · Small');
    expect(blocks).toContain('*Totals:*');
    expect(blocks).toContain('runner.done');
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/coffeebuddy_reminders_total\{kind="runner",outcome="sent",reason=""\} [1-9]/);
    expect(metrics).toMatch(/coffeebuddy_reminder_lateness_seconds_count\{kind="runner"\} [1-9]/);
  });

  it('a tick 10 minutes late catches up, and a re-pick after "I can\'t go" reminds only the new runner', async () => {
    setClock(start);
    const { runId, channel, runner } = await closedRun('08:40');
    await drive.click(runner, `D${runner}`, 'runner.decline', runId);
    await expect.poll(async () => (await pendingReminder(runId))?.recipientSlackUserId, { timeout: 20_000 }).not.toBe(runner);
    const next = (await runnerOf(runId))!;
    expect(next).not.toBe(runner);
    // Due 08:35; the first tick after it comes at 08:45, after pickup even.
    setClock(new Date(start.getTime() + 45 * MINUTE));
    expect(await tick()).toBeGreaterThanOrEqual(1);
    await expect.poll(() => reminderDms(next).filter((m) => String(m.text).includes(`<#${channel}>`)).length, { timeout: 10_000 }).toBe(1);
    expect(reminderDms(runner).filter((m) => String(m.text).includes(`<#${channel}>`))).toHaveLength(0);
  });

  it('sends nothing for a run that was marked done or canceled before its reminder', async () => {
    setClock(start);
    const done = await closedRun('09:00');
    const canceled = await closedRun('09:00');
    await drive.click(done.runner, `D${done.runner}`, 'runner.done', done.runId);
    await drive.click('U001', canceled.channel, 'run.cancel_confirm', canceled.runId);
    await expect
      .poll(async () => (await pendingReminder(done.runId)) === undefined && (await pendingReminder(canceled.runId)) === undefined, { timeout: 20_000 })
      .toBe(true);
    setClock(new Date(start.getTime() + 60 * MINUTE));
    await tick();
    await stack.runtime.effects.sweep();
    for (const run of [done, canceled]) {
      expect(reminderDms(run.runner).filter((m) => String(m.text).includes(`<#${run.channel}>`))).toHaveLength(0);
    }
  });

  it('Mark done turns the reminders into "done" without buttons: the runner\'s, and an earlier runner\'s into "no need to go"', async () => {
    setClock(start);
    const { runId, channel, runner } = await closedRun('08:30');
    const ofRun = (user: string) => stack.slack.messages(`D${user}`).filter((m) => String(m.text).includes(`<#${channel}>`));
    setClock(new Date(start.getTime() + 25 * MINUTE));
    await tick();
    await expect.poll(() => reminderDms(runner).filter((m) => String(m.text).includes(`<#${channel}>`)).length, { timeout: 10_000 }).toBe(1);
    // The first runner can't go after all; the next one is reminded at once, and marks it done.
    await drive.click(runner, `D${runner}`, 'runner.decline', runId);
    await expect.poll(() => runnerOf(runId), { timeout: 20_000 }).not.toBe(runner);
    const next = (await runnerOf(runId))!;
    await expect.poll(() => reminderDms(next).filter((m) => String(m.text).includes(`<#${channel}>`)).length, { timeout: 20_000 }).toBe(1);
    await drive.click(next, `D${next}`, 'runner.done', runId);

    const done = `Done — thanks for getting the coffee for <#${channel}>!`;
    // The runner DM and the reminder both say so.
    await expect.poll(() => ofRun(next).filter((m) => m.text === done).length, { timeout: 20_000 }).toBe(2);
    expect(ofRun(next)).toHaveLength(2);
    await expect
      .poll(() => ofRun(runner).map((m) => m.text), { timeout: 20_000 })
      .toEqual([`No need to go for <#${channel}> any more: <@${next}> is going instead.`, `No need to go for <#${channel}> any more: the run is done.`]);
    for (const m of [...ofRun(next), ...ofRun(runner)]) expect(JSON.stringify(m.blocks)).not.toContain('"type":"actions"');
  });

  it('reminds at once, saying so, when pickup is closer than the offset at assignment', async () => {
    setClock(start);
    const channel = newChannel();
    const runId = await drive.startRun(channel, 'in 3m Lobby');
    await drive.order('U004', channel, runId, { drink: 'Espresso', size: 'Small' });
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => reminderDms('U004').filter((m) => String(m.text).includes(`<#${channel}>`)).length, { timeout: 20_000 }).toBe(1);
    expect(reminderDms('U004').find((m) => String(m.text).includes(`<#${channel}>`))!.text).toContain('is soon, at');
  });

  it('honours a channel with reminders off', async () => {
    setClock(start);
    const channel = newChannel();
    const runId = await drive.startRun(channel, '08:50 Lobby');
    await stack.db.sql`update channels set reminders_enabled = false where slack_channel_id = ${channel}`;
    await drive.order('U005', channel, runId, { drink: 'Latte', size: 'Large' });
    await drive.click('U001', channel, 'run.close', runId);
    await waitForRunner(runId);
    // reminder-due sees runner.assigned after fairness-assign wrote the runner: wait until it has decided.
    await expect
      .poll(
        async () =>
          (await (await fetch(`${stack.url}/metrics`)).text()).match(
            /coffeebuddy_reminders_total\{kind="runner",outcome="skipped",reason="channel_off"\} [1-9]/,
          ) !== null,
        { timeout: 20_000 },
      )
      .toBe(true);
    expect(await pendingReminder(runId)).toBeUndefined();
    setClock(new Date(start.getTime() + 50 * MINUTE));
    await tick();
    await stack.runtime.effects.sweep();
    expect(reminderDms('U005').filter((m) => String(m.text).includes(`<#${channel}>`))).toHaveLength(0);
  });

  it('on a DST day the reminder is due 5 minutes before the wall-clock pickup', async () => {
    // 25 October 2026, Europe/Berlin falls back at 03:00 → 02:00. The user is in Berlin.
    stack.slack.setUser('UBERLIN', { tz: 'Europe/Berlin' });
    const dstStart = new Date('2026-10-25T01:30:00Z'); // 02:30 CET… after the fall-back: 02:30 local
    setClock(dstStart);
    const channel = newChannel();
    const runId = await drive.startRun(channel, '03:30 Lobby', 'UBERLIN');
    await drive.order('U006', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.click('UBERLIN', channel, 'run.close', runId);
    await waitForRunner(runId);
    await expect.poll(() => pendingReminder(runId), { timeout: 20_000 }).toBeDefined();
    // 03:30 in Berlin on that day is 02:30 UTC (CET, UTC+1): the reminder is due at 02:25 UTC.
    expect((await pendingReminder(runId))!.dueAt.toISOString()).toBe('2026-10-25T02:25:00.000Z');
  });

  it('closes a run on its schedule exactly as Close would, after a last call in its thread mentioning who ordered last time but not yet', async () => {
    setClock(start);
    const channel = newChannel();
    // Last time, U007 and U008 ordered.
    const previous = await drive.startRun(channel, '08:20 Lobby');
    await drive.order('U007', channel, previous, { drink: 'Latte', size: 'Small' });
    await drive.order('U008', channel, previous, { drink: 'Mocha', size: 'Small' });
    await drive.click('U001', channel, 'run.close', previous);
    await waitForRunner(previous);

    const runId = await drive.startRun(channel, '09:30 Lobby closes 09:15');
    await stack.drain();
    expect(JSON.stringify(stack.slack.messages(channel).find((m) => JSON.stringify(m.metadata).includes(runId))?.blocks)).toContain('Ordering closes:');
    await drive.order('U007', channel, runId, { drink: 'Latte', size: 'Small' });
    const runMessageTs = (await stack.db.sql<{ messageTs: string }[]>`select message_ts from runs where id = ${runId}`)[0]!.messageTs;
    const thread = () => stack.slack.messages(channel).filter((m) => m.thread_ts === runMessageTs);

    setClock(new Date('2026-11-30T09:09:00Z'));
    await tick();
    expect(thread()).toHaveLength(0);
    setClock(new Date('2026-11-30T09:10:00Z'));
    await Promise.all([tick(), tick()]);
    await expect.poll(() => thread().length, { timeout: 10_000 }).toBe(1);
    expect(thread()[0]!.text).toContain('Last call!');
    expect(thread()[0]!.text).toContain('<@U008>');
    expect(thread()[0]!.text).not.toContain('<@U007>');

    setClock(new Date('2026-11-30T09:15:00Z'));
    await tick();
    await tick();
    const runner = await waitForRunner(runId);
    expect(runner).toBe('U007');
    const summaries = () =>
      stack.slack.messages(channel).filter((m) => String(m.text).startsWith(':coffee: Coffee run closed') && JSON.stringify(m.metadata).includes(runId));
    // Two ticks at the close time: the summary comes (through the broker, in the Kafka variant,
    // which no drain waits for), then with everything settled it is still the only one.
    await expect.poll(() => summaries().length, { timeout: 20_000 }).toBeGreaterThan(0);
    await stack.drain();
    expect(summaries()).toHaveLength(1);
    expect(thread()).toHaveLength(1);
    // …and the new runner's reminder is scheduled for 09:25.
    await expect.poll(async () => (await pendingReminder(runId))?.dueAt.toISOString(), { timeout: 20_000 }).toBe('2026-11-30T09:25:00.000Z');
  });
});
