import { describe, expect, it } from 'vitest';
import type { PersonOrder } from '../../shared/domain/order-list.ts';
import type { RunView } from '../../shared/domain/run-queries.ts';
import { canceledNotice, doneNotice, releasedDm, runnerDm, stuckNotice, summaryMessage } from './messages.ts';

const run: RunView = {
  id: '00000000-0000-4000-8000-000000000001',
  status: 'closed',
  slackChannelId: 'C1',
  initiatorSlackUserId: 'U1',
  runnerSlackUserId: 'U2',
  runnerReason: '<@U2>: 0 of the last 5 runs, the fewest (next: <@U3> with 1).',
  pickupAt: new Date('2026-11-30T09:30:00Z'),
  closesAt: null,
  timeZone: 'Europe/Berlin',
  note: 'Lobby <!channel> & co',
  fairnessWindowRuns: 5,
  messageChannel: 'C1',
  messageTs: '1700000001.000100',
  canceledBy: null,
  volunteerSlackUserIds: [],
};
const latte = (slackUserId: string, customizations = ''): PersonOrder => ({
  slackUserId,
  order: { kind: 'structured', drink: 'Latte', size: 'Medium', customizations },
});
const typed = (slackUserId: string, text: string): PersonOrder => ({ slackUserId, order: { kind: 'free_text', text } });
const orders = [latte('U2', 'oat <milk>'), typed('U3', 'a tea'), latte('U4'), typed('U5', 'water')];

const texts = (blocks: readonly unknown[]) =>
  (blocks as Record<string, unknown>[]).map(
    (block) => (block.text as { text: string } | undefined)?.text ?? (block.elements as { text?: string }[])?.map((e) => e.text ?? '').join(' '),
  );

describe('summaryMessage', () => {
  it('names the runner, why, every order (escaped) and totals by drink and size', () => {
    const summary = summaryMessage(run, orders);
    expect(summary.text).toBe(':coffee: Coffee run closed: <@U2> is going (4 orders)');
    expect(texts(summary.blocks)).toEqual([
      ':coffee: Coffee run closed: <@U2> is going (4 orders)\n*Pickup:* <!date^1796031000^{time} {date_short_pretty}|10:30 Europe/Berlin> · Lobby &lt;!channel&gt; &amp; co',
      `:scales: *Why:* ${run.runnerReason}`,
      '• <@U2> Latte · Medium · oat &lt;milk&gt;\n• <@U3> a tea\n• <@U4> Latte · Medium\n• <@U5> water',
      '*Totals:* 2× Latte (Medium), 2× typed orders',
    ]);
  });

  it('says who could not go when the runner changed, counting one order', () => {
    expect(summaryMessage(run, [latte('U2')], { declinedSlackUserId: 'U7' }).text).toBe(
      ":coffee: Coffee run closed: <@U7> can't go, so <@U2> is going (1 order)",
    );
  });

  it('closes without a runner: nobody needs to go without orders, else nobody can yet, why, and who can still take it', () => {
    const nobody = { ...run, runnerSlackUserId: null, pickupAt: null, note: '' };
    const empty = summaryMessage(nobody, []);
    expect(empty.text).toBe(':coffee: Coffee run closed: no orders, nobody needs to go.');
    expect(texts(empty.blocks)).toEqual([':coffee: Coffee run closed: no orders, nobody needs to go.\n*Pickup:* no time set']);
    const away = summaryMessage({ ...nobody, runnerReason: 'Everyone who ordered is away from runs here: <@U3>.' }, [typed('U3', 'a tea')]);
    expect(away.text).toBe(':coffee: Coffee run closed: nobody can go yet. Everyone who ordered is away from runs here: <@U3>.');
    expect(texts(away.blocks).slice(1, -1)).toEqual([
      '• <@U3> a tea',
      '*Totals:* 1× typed order',
      `Can you go? *I'll take it* makes you the runner, or <@${run.initiatorSlackUserId}> can cancel the run with \`/coffee cancel\`.`,
    ]);
    expect(away.blocks.at(-1)).toMatchObject({ elements: [{ action_id: 'runner.take', value: run.id, text: { text: "I'll take it" } }] });
  });

  it('splits a long list over sections of at most 3,000 characters, keeping everyone', () => {
    const many = Array.from({ length: 60 }, (_, i) => typed(`U${String(i).padStart(9, '0')}`, 'x'.repeat(150)));
    const lists = summaryMessage(run, many).blocks.filter((block) => String(block.block_id).startsWith('orders.'));
    expect(lists.length).toBeGreaterThan(1);
    for (const text of texts(lists)) expect(text.length).toBeLessThanOrEqual(3000);
    expect(texts(lists).join('\n').split('\n')).toHaveLength(60);
  });
});

describe('runnerDm', () => {
  it('gives the runner the same list with Mark done and I can’t go for this run', () => {
    const dm = runnerDm(run, orders, new Date(run.pickupAt!.getTime() - 60_000));
    expect(dm.text).toBe("You're the coffee runner for <#C1>: 4 orders.");
    expect(texts(dm.blocks).slice(1, 3)).toEqual(texts(summaryMessage(run, orders).blocks).slice(2));
    expect(dm.blocks.at(-1)).toMatchObject({
      type: 'actions',
      elements: [
        { action_id: 'runner.done', value: run.id, style: 'primary', text: { text: 'Mark done' } },
        { action_id: 'runner.decline', value: run.id, text: { text: "I can't go" } },
      ],
    });
  });

  it('says to go now when the pickup time passed before the run closed', () => {
    expect(runnerDm(run, orders, run.pickupAt!).text).toBe("You're the coffee runner for <#C1>: 4 orders. The pickup time has passed: go as soon as you can.");
    expect(runnerDm({ ...run, pickupAt: null }, orders, run.pickupAt!).text).toBe("You're the coffee runner for <#C1>: 4 orders.");
  });
});

describe('releasedDm and canceledNotice', () => {
  it('tells a released runner why there is no need to go', () => {
    expect(releasedDm(run, 'the run was canceled.').text).toBe('No need to go for <#C1> any more: the run was canceled.');
  });

  it('mentions everyone who ordered except the canceller and the runner, who is told by DM', () => {
    expect(canceledNotice({ slackUserId: 'U3', name: 'Ana' }, { slackUserId: 'U2', name: 'Bo' }, orders)).toBe(
      ":no_entry_sign: This coffee run was canceled by Ana. Bo was going to pick it up and is told in a DM. <@U4> <@U5>: your orders won't be picked up.",
    );
  });

  it('says nothing more when the canceller was the runner and the only one who ordered', () => {
    expect(canceledNotice({ slackUserId: 'U2', name: 'Bo' }, { slackUserId: 'U2', name: 'Bo' }, [latte('U2')])).toBe(
      ':no_entry_sign: This coffee run was canceled by Bo.',
    );
  });
});

describe('thread notices', () => {
  it('names who completed the run', () => {
    expect(doneNotice('U2')).toBe(':white_check_mark: Completed by <@U2>');
  });

  it('says which step is stuck, that an operator is needed, and that orders are kept', () => {
    expect(stuckNotice('close')).toBe(
      ":warning: This coffee run is stuck while closing and needs an operator; they have been alerted. Your orders are kept; once it's fixed, the runner is announced in the channel.",
    );
    expect(stuckNotice('runner')).toMatch(/^:warning: This coffee run is stuck while picking its runner and needs an operator;/);
  });
});
