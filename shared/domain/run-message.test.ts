import { describe, expect, it } from 'vitest';
import type { OrderSpec } from './orders.ts';
import { runMessage } from './run-message.ts';

const base = {
  runId: '00000000-0000-4000-8000-000000000001',
  initiatorSlackUserId: 'U1',
  pickupAt: new Date('2026-11-23T09:30:00Z'),
  timeZone: 'Europe/Berlin',
  note: 'Lobby',
  fairnessWindowRuns: 5,
};
const longOrder: OrderSpec = { kind: 'free_text', text: `${'Very long order with many words '.repeat(6)}`.slice(0, 200) };
const people = (n: number, order: OrderSpec = longOrder) => Array.from({ length: n }, (_, i) => ({ slackUserId: `U${String(i).padStart(9, '0')}`, order }));

describe('runMessage within Slack Block Kit limits', () => {
  it.each([0, 1, 40, 45, 120, 2000])('%i participants fit in 50 blocks of at most 3000 characters', (n) => {
    const { blocks } = runMessage({ ...base, orders: people(n) });
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const block of blocks) {
      const text = (block as { text?: { text?: string } }).text?.text ?? '';
      expect(text.length).toBeLessThanOrEqual(3000);
    }
    const rendered = JSON.stringify(blocks);
    expect(rendered).toContain(`${n} ${n === 1 ? 'person has' : 'people have'} ordered`);
  });

  it('lists all 45 people of a large run', () => {
    const rendered = JSON.stringify(runMessage({ ...base, orders: people(45) }).blocks);
    for (const { slackUserId } of people(45)) expect(rendered).toContain(`<@${slackUserId}>`);
  });

  it('summarises the rest once the block budget is spent', () => {
    const rendered = JSON.stringify(runMessage({ ...base, orders: people(2000) }).blocks);
    expect(rendered).toMatch(/…and \d+ more/);
  });

  it('keeps the buttons on every message, with the run id as their value', () => {
    const { blocks } = runMessage({ ...base, orders: people(3) });
    const actions = blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string }[] };
    expect(actions.elements.map((e) => e.action_id)).toEqual(['order.open', 'order.reuse_last', 'order.withdraw', 'run.volunteer', 'run.close', 'run.cancel']);
    expect(new Set(actions.elements.map((e) => e.value))).toEqual(new Set([base.runId]));
  });
});
