/**
 * Where interactive elements live in a list of blocks, and what a modal's inputs add up to in
 * Slack's `view.state.values` shape — the one shape the bot reads on `block_actions` and
 * `view_submission`, so the sandbox must build it exactly as Slack does. Blocks and elements the
 * bot posted without ids get stable generated ones (Slack makes up random ones); the renderer
 * and the click handlers use the same functions, so a click always finds its element again.
 * Pure: no DOM.
 */
export type Json = Record<string, unknown>;

/** A value as a JSON object, or an empty one. */
export function asObject(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

/** A value as an array, or an empty one. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A value as a string, or `undefined`. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The block's `block_id`, or one made from its position. */
export function blockIdOf(block: unknown, index: number): string {
  return asString(asObject(block).block_id) ?? `block-${index}`;
}

/** The element's `action_id`, or one made from its position in the block. */
export function actionIdOf(element: unknown, index: number): string {
  return asString(asObject(element).action_id) ?? `action-${index}`;
}

/** One interactive element with the ids a click or an input is addressed by. */
export interface PlacedElement {
  blockId: string;
  actionId: string;
  element: Json;
}

/** The elements of one block: an actions block's elements, a section's accessory, an input's element. */
export function elementsOf(block: unknown): Json[] {
  const b = asObject(block);
  if (b.type === 'actions') return asArray(b.elements).map(asObject);
  if (b.type === 'section' && b.accessory) return [asObject(b.accessory)];
  if (b.type === 'input' && b.element) return [asObject(b.element)];
  return [];
}

/** Every element of every block, with its (possibly generated) ids. */
export function placedElements(blocks: readonly unknown[]): PlacedElement[] {
  return blocks.flatMap((block, index) =>
    elementsOf(block).map((element, elementIndex) => ({
      blockId: blockIdOf(block, index),
      actionId: actionIdOf(element, elementIndex),
      element,
    })),
  );
}

/** The element a click or a change came from. */
export function findElement(blocks: readonly unknown[], blockId: string, actionId: string): PlacedElement | undefined {
  return placedElements(blocks).find((p) => p.blockId === blockId && p.actionId === actionId);
}

/** Element types that hold a value Slack reports in `view.state.values`. */
const statefulTypes = new Set([
  'plain_text_input',
  'number_input',
  'static_select',
  'multi_static_select',
  'users_select',
  'multi_users_select',
  'checkboxes',
  'radio_buttons',
]);

/** An option object as Slack sends it back: its text and value. */
export interface OptionObject {
  text: Json;
  value: string;
  description?: Json;
}

/** All options of a select or choice element, including those inside `option_groups`. */
export function optionsOf(element: Json): OptionObject[] {
  const direct = asArray(element.options);
  const grouped = asArray(element.option_groups).flatMap((group) => asArray(asObject(group).options));
  return [...direct, ...grouped].map((o) => {
    const option = asObject(o);
    return {
      text: asObject(option.text),
      value: asString(option.value) ?? '',
      ...(option.description ? { description: asObject(option.description) } : {}),
    };
  });
}

/** What an element shows before anyone touches it, as the raw values the page's inputs hold. */
export function initialValues(element: Json): string[] {
  switch (element.type) {
    case 'plain_text_input':
    case 'number_input':
      return asString(element.initial_value) !== undefined ? [asString(element.initial_value)!] : [];
    case 'static_select':
    case 'radio_buttons':
      return element.initial_option ? [asString(asObject(element.initial_option).value) ?? ''] : [];
    case 'multi_static_select':
    case 'checkboxes':
      return asArray(element.initial_options).map((o) => asString(asObject(o).value) ?? '');
    case 'users_select':
      return asString(element.initial_user) ? [asString(element.initial_user)!] : [];
    case 'multi_users_select':
      return asArray(element.initial_users).filter((u): u is string => typeof u === 'string');
    default:
      return [];
  }
}

/** What the page read from one input: its ids and its raw values (text, chosen option values or user ids). */
export interface InputReading {
  blockId: string;
  actionId: string;
  values: string[];
}

export type StateValues = Record<string, Record<string, Json>>;

/**
 * `view.state.values` for `blocks`: every stateful element, with what the person entered
 * (`readings`) or else its initial value. Empty text is `null` and nothing chosen is `null` or
 * `[]`, as Slack sends them.
 */
export function collectStateValues(blocks: readonly unknown[], readings: readonly InputReading[]): StateValues {
  const out: StateValues = {};
  for (const placed of placedElements(blocks)) {
    const type = asString(placed.element.type) ?? '';
    if (!statefulTypes.has(type)) continue;
    const reading = readings.find((r) => r.blockId === placed.blockId && r.actionId === placed.actionId);
    const values = reading ? reading.values : initialValues(placed.element);
    const block = out[placed.blockId] ?? {};
    block[placed.actionId] = elementState(type, placed.element, values);
    out[placed.blockId] = block;
  }
  return out;
}

function elementState(type: string, element: Json, values: string[]): Json {
  const options = () => optionsOf(element).filter((o) => values.includes(o.value));
  switch (type) {
    case 'plain_text_input':
    case 'number_input':
      return { type, value: values[0] ? values[0] : null };
    case 'static_select':
    case 'radio_buttons':
      return { type, selected_option: options()[0] ?? null };
    case 'multi_static_select':
    case 'checkboxes':
      return { type, selected_options: options() };
    case 'users_select':
      return { type, selected_user: values[0] ?? null };
    default:
      return { type, selected_users: values };
  }
}
