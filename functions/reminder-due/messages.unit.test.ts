import { describe, expect, it } from 'vitest';
import type { PersonOrder } from '../../shared/domain/order-list.ts';
import type { RunView } from '../../shared/domain/run-queries.ts';
import { lastCall, runnerReminder } from './messages.ts';

const run: RunView = {
  id: '00000000-0000-4000-8000-000000000001',
  status: 'closed',
  slackChannelId: 'C1',
  initiatorSlackUserId: 'U1',
  runnerSlackUserId: 'U2',
  runnerReason: null,
  pickupAt: new Date('2026-11-30T09:30:00Z'),
  closesAt: new Date('2026-11-30T09:15:00Z'),
  timeZone: 'Europe/Berlin',
  note: '<b>Lobby</b>',
  fairnessWindowRuns: 5,
  messageChannel: 'C1',
  messageTs: '1700000001.000100',
  canceledBy: null,
  volunteerSlackUserIds: [],
};
const orders: PersonOrder[] = [{ slackUserId: 'U3', order: { kind: 'structured', drink: 'Mocha', size: 'Large', customizations: '' } }];
const at = (iso: string) => new Date(iso);
const pickup = '<!date^1796031000^{time} {date_short_pretty}|10:30 Europe/Berlin>';

describe('runnerReminder', () => {
  it("reminds the runner when and where, with the orders, Mark done and I can't go", () => {
    const reminder = runnerReminder(run, orders, { late: false, now: at('2026-11-30T09:25:00Z') });
    expect(reminder.text).toBe(`:alarm_clock: Reminder: pickup for <#C1> at ${pickup} (in 5 minutes).`);
    expect(reminder.blocks[0]).toMatchObject({ text: { text: `${reminder.text}\n*Where / note:* &lt;b&gt;Lobby&lt;/b&gt;` } });
    expect(reminder.blocks.slice(1, 3).map((block) => (block as { text: { text: string } }).text.text)).toEqual([
      '• <@U3> Mocha · Large',
      '*Totals:* 1× Mocha (Large)',
    ]);
    expect(reminder.blocks.at(-1)).toMatchObject({
      elements: [
        { action_id: 'runner.done', value: run.id, text: { text: 'Mark done' } },
        { action_id: 'runner.decline', value: run.id, text: { text: "I can't go" } },
      ],
    });
  });

  it('says "heads up" when the reminder time had passed at assignment, counting down to now', () => {
    expect(runnerReminder({ ...run, note: '' }, orders, { late: true, now: at('2026-11-30T09:29:10Z') }).text).toBe(
      `:alarm_clock: Heads up: pickup for <#C1> is soon, at ${pickup} (in 1 minute).`,
    );
    expect(runnerReminder(run, orders, { late: true, now: at('2026-11-30T09:31:00Z') }).text).toContain('(now).');
  });
});

describe('lastCall', () => {
  it('mentions who ordered last time but not yet, with the closing time', () => {
    expect(lastCall(run, ['U4', 'U5'], at('2026-11-30T09:12:00Z')).text).toBe(
      ':hourglass_flowing_sand: Last call! Ordering closes at <!date^1796030100^{time} {date_short_pretty}|10:15 Europe/Berlin> (in 3 minutes). <@U4> <@U5>: you ordered last time; *Use my last order* on the run message is one click.',
    );
  });

  it('mentions nobody when everyone from last time ordered', () => {
    expect(lastCall(run, [], at('2026-11-30T09:12:00Z')).text).toMatch(/\(in 3 minutes\)\.$/);
  });
});
