import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';

/** What an office ran into in a morning of real use (issue: a day of real use), through signed Slack requests. */
describe('a day of real use', () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;
  let seq = 0;
  const newChannel = () => `CREAL${++seq}`;
  // 08:00 in London.
  const morning = new Date('2026-12-03T08:00:00Z');

  beforeAll(async () => {
    stack = await startTestStack({ functions: registry, now: morning, users: { U001: { tz: 'Europe/London' }, U002: { tz: 'Europe/London' } } });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  const openRun = async (channel: string) =>
    (
      await stack.db.sql<{ pickupAt: Date | null; note: string | null }[]>`
        select r.pickup_at, r.note from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel} and r.status = 'open'`
    )[0];

  it('reads pickup times as people write them, and asks about a bare number instead of starting a run nobody meant', async () => {
    for (const [text, pickup, note] of [
      ['10.30 Lobby', '2026-12-03T10:30:00.000Z', 'Lobby'],
      ['10h30', '2026-12-03T10:30:00.000Z', ''],
      ['noon', '2026-12-03T12:00:00.000Z', ''],
      ['asap Lobby', '2026-12-03T08:10:00.000Z', 'Lobby'],
    ] as const) {
      const channel = newChannel();
      stack.clock.now = morning;
      expect(await drive.command(channel, text, 'U001'), text).toBe('');
      const run = await openRun(channel);
      // To the minute: the stack's clock runs on from where it was set.
      expect({ pickup: run?.pickupAt?.toISOString().slice(0, 16), note: run?.note ?? '' }, text).toEqual({ pickup: pickup.slice(0, 16), note });
    }
    const channel = newChannel();
    stack.clock.now = morning;
    expect(await drive.command(channel, '10', 'U001')).toMatch(/^`10` on its own could be a time or minutes: say `10:00` \(10am\), `10pm` or `in 10m`\./);
    stack.clock.now = new Date('2026-12-03T15:00:00Z');
    expect(await drive.command(channel, 'in 11h', 'U001')).toContain('after midnight, tomorrow in Europe/London: coffee runs are for today');
    expect(await openRun(channel)).toBeUndefined();
  });

  it('a run closed with orders but nobody to pick says so, never "no orders" above its own order list', async () => {
    const channel = newChannel();
    stack.clock.now = morning;
    await drive.command(channel, 'away', 'U002');
    const runId = await drive.startRun(channel, 'in 30m Lobby', 'U001');
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Medium' });
    await drive.click('U001', channel, 'run.close', runId);
    const runMessage = () =>
      stack.slack.messages(channel).find((m) => (m.metadata as { event_payload?: { kind?: string } } | undefined)?.event_payload?.kind === 'run_message');
    await expect.poll(() => runMessage()?.text ?? '', { timeout: 20_000 }).toContain('Closed');
    expect(runMessage()!.text).toBe('Coffee run started by <@U001>: :lock: Closed: nobody can go yet');
    expect(JSON.stringify(runMessage()!.blocks)).toContain('1 order');
  });

  it('a second Close and a late Withdraw are told what is true for them', async () => {
    const channel = newChannel();
    stack.clock.now = morning;
    const runId = await drive.startRun(channel, 'in 30m Lobby', 'U001');
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Medium' });
    await drive.click('U001', channel, 'run.close', runId);
    expect(drive.lastEphemeral('U001')).toBe('Closing the run: the runner will be announced here in a moment.');
    await stack.drain();
    await drive.click('U001', channel, 'run.close', runId);
    expect(drive.lastEphemeral('U001')).toBe('This run is already closed: <@U002> is going.');
    await drive.click('U002', channel, 'order.withdraw', runId);
    expect(drive.lastEphemeral('U002')).toBe("This run is closed, so orders can't be withdrawn any more. If you don't want yours, tell the runner.");
  });

  it('a run still open at its pickup time nudges whoever started it, once; the runner picked later is told to go now', async () => {
    const channel = newChannel();
    stack.clock.now = morning;
    const runId = await drive.startRun(channel, 'in 15m Lobby', 'U001');
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Medium' });
    const tick = async () => {
      const response = await fetch(`${stack.url}/ticks/reminders`, { method: 'POST', headers: await stack.eventHeaders('reminder-due') });
      expect(response.status).toBe(200);
    };
    const nudges = () => stack.slack.messages(channel).filter((m) => m.thread_ts && String(m.text).includes('has passed'));
    await tick();
    await stack.drain();
    expect(nudges()).toHaveLength(0);

    stack.clock.now = new Date(morning.getTime() + 16 * 60_000);
    await tick();
    await tick();
    await stack.drain();
    expect(nudges().map((m) => m.text)).toEqual([
      `:hourglass: Pickup time <!date^${morning.getTime() / 1000 + 15 * 60}^{time} {date_short_pretty}|08:15 Europe/London> has passed and this run is still open. <@U001>: *Close run* to pick a runner now, or cancel it.`,
    ]);

    await drive.click('U001', channel, 'run.close', runId);
    await stack.drain();
    expect(stack.slack.messages('DU002').find((m) => String(m.text).includes(`<#${channel}>`))?.text).toBe(
      `You're the coffee runner for <#${channel}>: 1 order. The pickup time has passed: go as soon as you can.`,
    );
  });
});
