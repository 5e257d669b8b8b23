/**
 * Block Kit's documented limits (https://docs.slack.dev/reference/block-kit/blocks,
 * …/block-elements, …/composition-objects, https://docs.slack.dev/reference/views/modal-views),
 * checked the way Slack checks them: a message or view that breaks one is refused whole. The Slack
 * emulator runs these so that a bot which passes locally is not refused by the real Slack.
 *
 * Each violation reads like Slack's own `response_metadata.messages` entries:
 * `[ERROR] must be at most 3000 characters, got 3001 [json-pointer:/blocks/0/text/text]`.
 */

type Json = Record<string, unknown>;

/** Where blocks are shown: messages take 50 blocks, modals and Home tabs 100. */
export type BlockSurface = 'message' | 'modal' | 'home';

const maxBlocks: Record<BlockSurface, number> = { message: 50, modal: 100, home: 100 };
const maxIdChars = 255;

/** The violations of a `blocks` array on `surface`; `pointer` is where the array sits in the request. */
export function blockViolations(blocks: unknown, surface: BlockSurface, pointer = '/blocks'): string[] {
  const found: string[] = [];
  if (!Array.isArray(blocks)) return [violation('must be an array of blocks', pointer)];
  if (blocks.length > maxBlocks[surface]) found.push(violation(`must have at most ${maxBlocks[surface]} blocks, got ${blocks.length}`, pointer));
  const blockIds = new Set<string>();
  blocks.forEach((block, index) => {
    const at = `${pointer}/${index}`;
    if (!isObject(block)) {
      found.push(violation('must be a block object', at));
      return;
    }
    const blockId = block.block_id;
    if (typeof blockId === 'string') {
      if (blockIds.has(blockId)) found.push(violation(`block_id "${blockId}" is used twice`, `${at}/block_id`));
      blockIds.add(blockId);
    }
    found.push(...maxChars(blockId, maxIdChars, `${at}/block_id`), ...blockBody(block, at));
  });
  return found;
}

/** The violations of a modal view (`views.open`, `views.push`, `views.update`, `response_action`). */
export function modalViolations(view: unknown, pointer = '/view'): string[] {
  if (!isObject(view)) return [violation('must be a view object', pointer)];
  const found = [
    ...textMax(view.title, 24, `${pointer}/title`),
    ...textMax(view.submit, 24, `${pointer}/submit`),
    ...textMax(view.close, 24, `${pointer}/close`),
    ...maxChars(view.private_metadata, 3000, `${pointer}/private_metadata`),
    ...maxChars(view.callback_id, maxIdChars, `${pointer}/callback_id`),
    ...maxChars(view.external_id, maxIdChars, `${pointer}/external_id`),
    ...blockViolations(view.blocks, view.type === 'home' ? 'home' : 'modal', `${pointer}/blocks`),
  ];
  if (view.type === 'modal' && !isObject(view.title)) found.push(violation('a modal needs a title', `${pointer}/title`));
  const hasInput = Array.isArray(view.blocks) && view.blocks.some((block) => isObject(block) && block.type === 'input');
  if (view.type === 'modal' && hasInput && !isObject(view.submit))
    found.push(violation('a modal with input blocks needs a submit button', `${pointer}/submit`));
  return found;
}

function blockBody(block: Json, at: string): string[] {
  switch (block.type) {
    case 'section':
      return [
        ...textMax(block.text, 3000, `${at}/text`),
        ...countMax(block.fields, 10, `${at}/fields`, 'fields'),
        ...each(block.fields, `${at}/fields`, (field, p) => textMax(field, 2000, p)),
        ...(isObject(block.accessory) ? element(block.accessory, `${at}/accessory`) : []),
      ];
    case 'header':
      return textMax(block.text, 150, `${at}/text`);
    case 'actions':
      return [...countMax(block.elements, 25, `${at}/elements`, 'elements'), ...each(block.elements, `${at}/elements`, element)];
    case 'context':
      return [...countMax(block.elements, 10, `${at}/elements`, 'elements'), ...each(block.elements, `${at}/elements`, (e, p) => textMax(e, 3000, p))];
    case 'input':
      return [
        ...textMax(block.label, 2000, `${at}/label`),
        ...textMax(block.hint, 2000, `${at}/hint`),
        ...(isObject(block.element) ? element(block.element, `${at}/element`) : []),
      ];
    default:
      return [];
  }
}

/** Interactive elements (https://docs.slack.dev/reference/block-kit/block-elements). */
function element(value: unknown, at: string): string[] {
  if (!isObject(value)) return [];
  const found = [...maxChars(value.action_id, maxIdChars, `${at}/action_id`), ...textMax(value.placeholder, 150, `${at}/placeholder`)];
  switch (value.type) {
    case 'button':
      found.push(...textMax(value.text, 75, `${at}/text`), ...maxChars(value.value, 2000, `${at}/value`), ...maxChars(value.url, 3000, `${at}/url`));
      break;
    case 'static_select':
    case 'multi_static_select':
      found.push(...countMax(value.options, 100, `${at}/options`, 'options'), ...countMax(value.option_groups, 100, `${at}/option_groups`, 'option groups'));
      break;
    case 'radio_buttons':
    case 'checkboxes':
      found.push(...countMax(value.options, 10, `${at}/options`, 'options'));
      break;
    case 'overflow':
      found.push(...countMax(value.options, 5, `${at}/options`, 'options'));
      break;
    case 'plain_text_input':
      found.push(...maxChars(value.initial_value, 3000, `${at}/initial_value`));
      break;
  }
  found.push(...each(value.options, `${at}/options`, option));
  if (isObject(value.initial_option)) found.push(...option(value.initial_option, `${at}/initial_option`));
  return found;
}

/** An option object: text and description up to 75 characters, value up to 150. */
function option(value: unknown, at: string): string[] {
  if (!isObject(value)) return [];
  return [...textMax(value.text, 75, `${at}/text`), ...textMax(value.description, 75, `${at}/description`), ...maxChars(value.value, 150, `${at}/value`)];
}

/** A text object's `text` up to `max` characters. */
function textMax(value: unknown, max: number, at: string): string[] {
  return isObject(value) ? maxChars(value.text, max, `${at}/text`) : [];
}

function maxChars(value: unknown, max: number, at: string): string[] {
  return typeof value === 'string' && value.length > max ? [violation(`must be at most ${max} characters, got ${value.length}`, at)] : [];
}

function countMax(value: unknown, max: number, at: string, what: string): string[] {
  return Array.isArray(value) && value.length > max ? [violation(`must have at most ${max} ${what}, got ${value.length}`, at)] : [];
}

function each(value: unknown, at: string, check: (item: unknown, pointer: string) => string[]): string[] {
  return Array.isArray(value) ? value.flatMap((item, index) => check(item, `${at}/${index}`)) : [];
}

function violation(message: string, pointer: string): string {
  return `[ERROR] ${message} [json-pointer:${pointer}]`;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
