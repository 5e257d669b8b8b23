import { describe, expect, it } from 'vitest';
import { formerMember, tombstoneId } from './forgotten.ts';
import { finishedRunMessage, runMessage, volunteerLine, type RunMessageInput } from './run-message.ts';

const run: RunMessageInput = {
  runId: '00000000-0000-4000-8000-000000000001',
  initiatorSlackUserId: 'U1',
  pickupAt: new Date('2026-11-30T09:30:00Z'),
  closesAt: new Date('2026-11-30T09:15:00Z'),
  timeZone: 'Europe/Berlin',
  note: '<!here> Lobby & café',
  fairnessWindowRuns: 5,
  orders: [{ slackUserId: 'U2', order: { kind: 'free_text', text: '<@U9> flat white' } }],
};
const summaryText = (blocks: readonly unknown[]) => (blocks[0] as { text: { text: string } }).text.text;

describe('runMessage', () => {
  it('shows who started it, pickup and closing time in each reader’s zone, and the note escaped', () => {
    const message = runMessage(run);
    expect(message.text).toBe('Coffee run started by <@U1>, pickup <!date^1796031000^{time} {date_short_pretty}|10:30 Europe/Berlin>: 1 person has ordered');
    expect(summaryText(message.blocks)).toBe(
      ':coffee: *Coffee run* started by <@U1>\n*Pickup:* <!date^1796031000^{time} {date_short_pretty}|10:30 Europe/Berlin>\n*Ordering closes:* <!date^1796030100^{time} {date_short_pretty}|10:15 Europe/Berlin>\n*Note:* &lt;!here&gt; Lobby &amp; café',
    );
    expect(JSON.stringify(message.blocks)).toContain('• <@U2> &lt;@U9&gt; flat white');
  });

  it('says "no time set" without a pickup, and shows the volunteers', () => {
    const message = runMessage({ ...run, pickupAt: null, closesAt: null, note: '', volunteerSlackUserIds: ['U2', 'U3'] });
    expect(summaryText(message.blocks)).toBe(':coffee: *Coffee run* started by <@U1>\n*Pickup:* no time set');
    expect(message.blocks.find((block) => block.block_id === 'run.volunteers')).toMatchObject({
      elements: [{ text: '🙋 <@U2> volunteered to go · next in line: <@U3>' }],
    });
  });
});

describe('volunteerLine', () => {
  it('is absent without volunteers and lists everyone after the first as next in line', () => {
    expect(volunteerLine([])).toBeNull();
    expect(volunteerLine(['U1'])).toBe('🙋 <@U1> volunteered to go');
    expect(volunteerLine(['U1', 'U2', 'U3'])).toBe('🙋 <@U1> volunteered to go · next in line: <@U2>, <@U3>');
  });
});

describe('finishedRunMessage', () => {
  it.each([
    [{ kind: 'closed', runnerSlackUserId: 'U2' }, ':lock: Closed: <@U2> is going'],
    // An order stands, so never "no orders": nobody could be picked (everyone away, or all declined).
    [{ kind: 'closed', runnerSlackUserId: null }, ':lock: Closed: nobody can go yet'],
    [{ kind: 'completed', runnerSlackUserId: 'U2' }, ':white_check_mark: Done: <@U2> picked up the coffee'],
    [{ kind: 'canceled', canceledBySlackUserId: 'U1' }, ':no_entry_sign: Canceled by <@U1>'],
  ] as const)('%j: says how it ended, keeps the orders and drops the buttons', (outcome, status) => {
    const message = finishedRunMessage(run, outcome);
    expect(message.text).toBe(`Coffee run started by <@U1>: ${status}`);
    expect(summaryText(message.blocks)).toMatch(new RegExp(`\n${status.replace(/[()]/g, '\\$&')}$`));
    expect(message.blocks.map((block) => block.type)).toEqual(['section', 'context', 'section']);
    expect(message.blocks[1]).toMatchObject({ elements: [{ text: '1 order' }] });
  });

  it('says "no orders" only when there are none', () => {
    const empty = finishedRunMessage({ ...run, orders: [] }, { kind: 'closed', runnerSlackUserId: null });
    expect(empty.text).toBe('Coffee run started by <@U1>: :lock: Closed: no orders, nobody needs to go');
    expect(empty.blocks[1]).toMatchObject({ elements: [{ text: '0 orders' }] });
  });

  it('shows someone who said forget-me as a former member, never as a mention', () => {
    const message = finishedRunMessage(
      { ...run, orders: [{ slackUserId: tombstoneId(), order: { kind: 'free_text', text: 'tea' } }] },
      { kind: 'completed', runnerSlackUserId: 'U2' },
    );
    expect((message.blocks[2] as { text: { text: string } }).text.text).toBe(`• ${formerMember} tea`);
  });
});
