import { describe, expect, it } from 'vitest';
import type { OrderSpec } from '../../shared/domain/orders.ts';
import { orderModal, parseOrderSubmission, type ViewStateValues } from './modal.ts';

const values = (input: { usual?: string; drink?: string; size?: string; customizations?: string; freeText?: string }): ViewStateValues => ({
  ...(input.usual ? { usual: { value: { type: 'radio_buttons', selected_option: { value: input.usual } } } } : {}),
  drink: { value: { type: 'static_select', selected_option: input.drink ? { value: input.drink } : null } },
  size: { value: { type: 'static_select', selected_option: input.size ? { value: input.size } : null } },
  customizations: { value: { type: 'plain_text_input', value: input.customizations ?? null } },
  free_text: { value: { type: 'plain_text_input', value: input.freeText ?? null } },
});
const usual: OrderSpec = { kind: 'structured', drink: 'Mocha', size: 'Large', customizations: '' };

describe('parseOrderSubmission', () => {
  it('reads a structured order', () => {
    expect(parseOrderSubmission(values({ drink: 'Latte', size: 'Small', customizations: ' oat milk ' }), [])).toEqual({
      ok: true,
      order: { kind: 'structured', drink: 'Latte', size: 'Small', customizations: 'oat milk' },
    });
  });
  it('orders a chosen usual as is; typed text when no drink is picked; and asks which when both a drink and text are given', () => {
    expect(parseOrderSubmission(values({ usual: '0', freeText: 'tea' }), [usual])).toEqual({ ok: true, order: usual });
    expect(parseOrderSubmission(values({ size: 'Medium', freeText: ' tea ' }), [])).toEqual({ ok: true, order: { kind: 'free_text', text: 'tea' } });
    expect(parseOrderSubmission(values({ drink: 'Espresso', size: 'Small', freeText: 'Masala chai' }), [])).toEqual({
      ok: false,
      errors: {
        free_text: 'You chose Espresso above and typed an order here: clear this box to order the Espresso, or clear the drink to order what you typed.',
      },
    });
  });
  it('asks what "Other" is, since the runner cannot buy it', () => {
    expect(parseOrderSubmission(values({ drink: 'Other', size: 'Small' }), [])).toEqual({
      ok: false,
      errors: { customizations: 'Say which drink you want here (or type your whole order in the box below).' },
    });
    expect(parseOrderSubmission(values({ drink: 'Other', size: 'Small', customizations: 'Hot chocolate' }), [])).toMatchObject({ ok: true });
  });
  it('puts each problem on its own field', () => {
    expect(parseOrderSubmission(values({}), [])).toEqual({
      ok: false,
      errors: { drink: expect.any(String), size: 'Choose a size.' },
    });
    expect(parseOrderSubmission(values({ drink: 'Tea', size: 'Huge' }), [])).toMatchObject({
      ok: false,
      errors: { drink: expect.any(String), size: expect.any(String) },
    });
    expect(parseOrderSubmission(values({ freeText: 'x'.repeat(201) }), [])).toEqual({
      ok: false,
      errors: { free_text: 'Keep it to 200 characters (this is 201).' },
    });
  });
});

describe('orderModal', () => {
  it('stays within Slack limits: title ≤ 24 chars, private_metadata ≤ 3000, ≤ 100 blocks', () => {
    const big: OrderSpec = { kind: 'free_text', text: 'x'.repeat(200) };
    const view = orderModal({ metadata: { runId: 'r', channelId: 'C', usuals: [big, big, big] }, prefill: big, notice: 'hi' });
    expect((view.title as { text: string }).text.length).toBeLessThanOrEqual(24);
    expect(String(view.private_metadata).length).toBeLessThanOrEqual(3000);
    expect((view.blocks as unknown[]).length).toBeLessThanOrEqual(100);
    const usualBlock = (view.blocks as { block_id?: string; element?: { options: { text: { text: string } }[] } }[]).find((b) => b.block_id === 'usual');
    for (const o of usualBlock!.element!.options) expect(o.text.text.length).toBeLessThanOrEqual(75);
  });
});
