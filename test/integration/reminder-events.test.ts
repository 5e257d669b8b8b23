import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { topicName } from '../../shared/events/topics.ts';
import { startTestStack, type TestStack } from '../support/harness.ts';
import { createRunDriver } from '../support/run-driver.ts';
import { readTopic } from '../support/topic-reader.ts';

const brokers = inject('kafkaBrokers');

describe('reminder events on coffeebuddy.reminder.events, through a real Kafka broker', () => {
  let stack: TestStack;
  let drive: ReturnType<typeof createRunDriver>;

  beforeAll(async () => {
    stack = await startTestStack({
      functions: registry,
      kafka: { brokers, topicPrefix: `remev${Date.now()}.` },
      now: new Date('2026-11-30T08:00:00Z'),
    });
    drive = createRunDriver(stack);
  });
  afterAll(async () => {
    await stack.close();
  });

  const tick = async () => {
    const response = await fetch(`${stack.url}/ticks/reminders`, { method: 'POST', headers: await stack.eventHeaders('reminder-due') });
    expect(response.status).toBe(200);
  };
  const runnerOf = async (runId: string) =>
    (await stack.db.sql<{ slackUserId: string | null }[]>`select u.slack_user_id from runs r left join users u on u.id = r.runner_id where r.id = ${runId}`)[0]!
      .slackUserId;
  const reminderOf = async (runId: string, kind: string) =>
    (await stack.db.sql<{ id: string }[]>`select id from reminders where run_id = ${runId} and kind = ${kind}`)[0]?.id;
  /** When the reminder was recorded sent, on the app's clock (which runs on from where the test set it). */
  const sentAt = async (runId: string) =>
    (await stack.db.sql<{ sentAt: Date }[]>`select sent_at from reminders where run_id = ${runId} and sent_at is not null`)[0]!.sentAt.toISOString();

  /** A run with U002's order, closed, with U002 as its runner (they volunteered). */
  async function closedRun(channel: string, text: string): Promise<string> {
    const runId = await drive.startRun(channel, text);
    await drive.order('U002', channel, runId, { drink: 'Latte', size: 'Small' });
    await drive.click('U002', channel, 'run.volunteer', runId);
    await drive.click('U001', channel, 'run.close', runId);
    await expect.poll(() => runnerOf(runId), { timeout: 20_000 }).toBe('U002');
    return runId;
  }

  it('publishes one reminder.sent per runner reminder (due, or at once when pickup is near) and per last call, even with ticks racing', async () => {
    const reader = await readTopic(brokers, topicName('reminder', stack.topicPrefix!));
    try {
      // A reminder due at 08:25, for pickup at 08:30.
      const reminded = await closedRun('CREV1', '08:30 Lobby');
      await expect.poll(() => reminderOf(reminded, 'runner'), { timeout: 20_000 }).toBeDefined();
      // Pickup at 08:03: the reminder is sent as the runner is assigned.
      const soon = await closedRun('CREV2', '08:03 Lobby');
      await expect.poll(() => reminderOf(soon, 'runner'), { timeout: 20_000 }).toBeDefined();
      // Ordering closes at 08:40: its last call is due at 08:35.
      const lastCalled = await drive.startRun('CREV3', '09:00 Lobby closes 08:40');

      stack.clock.now = new Date('2026-11-30T08:25:00Z');
      await Promise.all([tick(), tick()]);
      stack.clock.now = new Date('2026-11-30T08:35:00Z');
      await Promise.all([tick(), tick()]);
      await tick();
      await stack.drain();

      const expected = [
        {
          key: 'CREV2',
          data: {
            reminderId: await reminderOf(soon, 'runner'),
            runId: soon,
            slackChannelId: 'CREV2',
            kind: 'runner',
            recipientSlackUserId: 'U002',
            dueAt: '2026-11-30T07:58:00.000Z',
            sentAt: await sentAt(soon),
          },
        },
        {
          key: 'CREV1',
          data: {
            reminderId: await reminderOf(reminded, 'runner'),
            runId: reminded,
            slackChannelId: 'CREV1',
            kind: 'runner',
            recipientSlackUserId: 'U002',
            dueAt: '2026-11-30T08:25:00.000Z',
            sentAt: await sentAt(reminded),
          },
        },
        {
          key: 'CREV3',
          data: {
            reminderId: await reminderOf(lastCalled, 'last_call'),
            runId: lastCalled,
            slackChannelId: 'CREV3',
            kind: 'last_call',
            recipientSlackUserId: null,
            dueAt: '2026-11-30T08:35:00.000Z',
            sentAt: await sentAt(lastCalled),
          },
        },
      ];
      await expect.poll(() => reader.records.length, { timeout: 20_000 }).toBe(expected.length);
      const received = reader.records.map((record) => ({ key: record.key, data: JSON.parse(record.value) as unknown }));
      expect(received.sort((a, b) => String(a.key).localeCompare(String(b.key)))).toEqual(expected.sort((a, b) => a.key.localeCompare(b.key)));
      for (const record of reader.records) {
        expect(record.headers).toMatchObject({ ce_type: 'com.coffeebuddy.reminder.sent', ce_source: 'reminder-due', ce_specversion: '1.0' });
        expect(record.headers.ce_subject).toBe((JSON.parse(record.value) as { runId: string }).runId);
      }
      // The DMs and the last call went out too, one each.
      expect(stack.slack.messages('DU002').filter((m) => String(m.text).includes('pickup for'))).toHaveLength(2);
      expect(stack.slack.messages('CREV3').filter((m) => String(m.text).startsWith(':hourglass_flowing_sand: Last call!'))).toHaveLength(1);
      // Exactly one event each was written (the racing ticks wrote no second one), and all are out.
      const [outbox] = await stack.db.sql<{ written: number; pending: number }[]>`
        select count(*)::int as written, count(*) filter (where published_at is null)::int as pending
        from outbox where type = 'com.coffeebuddy.reminder.sent'`;
      expect(outbox).toEqual({ written: expected.length, pending: 0 });
      expect(reader.records).toHaveLength(expected.length);
    } finally {
      await reader.stop();
    }
  });
});
