import { describe, expect, it } from 'vitest';
import { collectStateValues, findElement, placedElements } from './view-state.ts';

const plain = (text: string) => ({ type: 'plain_text', text });
const option = (text: string, value = text) => ({ text: plain(text), value });
const blocks = [
  { type: 'section', text: plain('intro') },
  { type: 'input', block_id: 'usual', element: { type: 'radio_buttons', action_id: 'value', options: [option('Latte', '0')] } },
  {
    type: 'input',
    block_id: 'drink',
    element: {
      type: 'static_select',
      action_id: 'value',
      option_groups: [{ label: plain('Hot'), options: [option('Latte'), option('Mocha')] }],
      initial_option: option('Latte'),
    },
  },
  { type: 'input', block_id: 'custom', element: { type: 'plain_text_input', action_id: 'value', initial_value: 'oat' } },
  { type: 'input', block_id: 'free', element: { type: 'plain_text_input', action_id: 'value' } },
  { type: 'input', block_id: 'offset', element: { type: 'number_input', action_id: 'value', initial_value: '5' } },
  {
    type: 'input',
    block_id: 'switches',
    element: {
      type: 'checkboxes',
      action_id: 'value',
      options: [option('On', 'enabled'), option('Remind', 'reminders')],
      initial_options: [option('On', 'enabled')],
    },
  },
  { type: 'input', block_id: 'admins', element: { type: 'multi_users_select', action_id: 'value', initial_users: ['U01'] } },
  { type: 'input', block_id: 'runner', element: { type: 'users_select', action_id: 'value' } },
  { type: 'input', element: { type: 'multi_static_select', options: [option('A'), option('B')] } },
  {
    type: 'actions',
    elements: [
      { type: 'button', action_id: 'go', text: plain('Go') },
      { type: 'static_select', options: [option('X')] },
    ],
  },
];

describe('view.state.values', () => {
  it('initial values in Slack’s shape, empty ones as null or []', () => {
    expect(collectStateValues(blocks, [])).toEqual({
      usual: { value: { type: 'radio_buttons', selected_option: null } },
      drink: { value: { type: 'static_select', selected_option: { text: plain('Latte'), value: 'Latte' } } },
      custom: { value: { type: 'plain_text_input', value: 'oat' } },
      free: { value: { type: 'plain_text_input', value: null } },
      offset: { value: { type: 'number_input', value: '5' } },
      switches: { value: { type: 'checkboxes', selected_options: [{ text: plain('On'), value: 'enabled' }] } },
      admins: { value: { type: 'multi_users_select', selected_users: ['U01'] } },
      runner: { value: { type: 'users_select', selected_user: null } },
      'block-9': { 'action-0': { type: 'multi_static_select', selected_options: [] } },
      'block-10': { 'action-1': { type: 'static_select', selected_option: null } },
    });
  });

  it('what the person entered wins over the initial values', () => {
    const values = collectStateValues(blocks, [
      { blockId: 'usual', actionId: 'value', values: ['0'] },
      { blockId: 'drink', actionId: 'value', values: ['Mocha'] },
      { blockId: 'custom', actionId: 'value', values: [''] },
      { blockId: 'free', actionId: 'value', values: ['a flat white'] },
      { blockId: 'switches', actionId: 'value', values: ['reminders'] },
      { blockId: 'admins', actionId: 'value', values: [] },
      { blockId: 'runner', actionId: 'value', values: ['U02'] },
      { blockId: 'block-9', actionId: 'action-0', values: ['A', 'B'] },
    ]);
    expect(values.usual).toEqual({ value: { type: 'radio_buttons', selected_option: { text: plain('Latte'), value: '0' } } });
    expect(values.drink).toEqual({ value: { type: 'static_select', selected_option: { text: plain('Mocha'), value: 'Mocha' } } });
    expect(values.custom).toEqual({ value: { type: 'plain_text_input', value: null } });
    expect(values.free).toEqual({ value: { type: 'plain_text_input', value: 'a flat white' } });
    expect(values.switches).toEqual({ value: { type: 'checkboxes', selected_options: [{ text: plain('Remind'), value: 'reminders' }] } });
    expect(values.admins).toEqual({ value: { type: 'multi_users_select', selected_users: [] } });
    expect(values.runner).toEqual({ value: { type: 'users_select', selected_user: 'U02' } });
    expect(values['block-9']).toEqual({ 'action-0': { type: 'multi_static_select', selected_options: [option('A'), option('B')] } });
  });

  it('finds an element again by its (generated) ids', () => {
    expect(findElement(blocks, 'block-10', 'go')?.element).toEqual({ type: 'button', action_id: 'go', text: plain('Go') });
    expect(findElement(blocks, 'block-10', 'action-1')?.element).toEqual({ type: 'static_select', options: [option('X')] });
    expect(findElement(blocks, 'drink', 'nope')).toBeUndefined();
    expect(placedElements([{ type: 'section', block_id: 's', accessory: { type: 'overflow', action_id: 'o' } }])).toEqual([
      { blockId: 's', actionId: 'o', element: { type: 'overflow', action_id: 'o' } },
    ]);
  });
});
