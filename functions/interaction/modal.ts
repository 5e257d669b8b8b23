import type { InputBlock, InputBlockElement, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { z } from 'zod';
import { describeOrder, drinks, maxCustomizationChars, maxFreeTextChars, orderSpec, sizes, type OrderSpec } from '../../shared/domain/orders.ts';
import { isStorableText } from '../../shared/text.ts';
import { truncate } from '../../shared/slack/text.ts';
import { orderModalCallbackId } from '../../shared/slack/interaction-ids.ts';

/** What the modal carries in `private_metadata` (never trusted without a DB check of the run). */
export const orderModalMetadata = z.object({
  runId: z.string(),
  channelId: z.string(),
  usuals: z.array(orderSpec).max(3),
});
export type OrderModalMetadata = z.infer<typeof orderModalMetadata>;

const option = (text: string, value: string): PlainTextOption => ({ text: { type: 'plain_text', text: truncate(text, 75) }, value });
const input = (blockId: string, label: string, element: InputBlockElement, hint?: string): InputBlock => ({
  type: 'input',
  block_id: blockId,
  optional: true,
  label: { type: 'plain_text', text: label },
  element: { ...element, action_id: 'value' },
  ...(hint ? { hint: { type: 'plain_text', text: hint } } : {}),
});

/**
 * The order modal (https://api.slack.com/surfaces/modals): drink, size, customizations, or free
 * text instead; pre-filled with `prefill`, offering up to three usuals.
 */
export function orderModal(args: { metadata: OrderModalMetadata; prefill?: OrderSpec; notice?: string }): ModalView {
  const structured = args.prefill?.kind === 'structured' ? args.prefill : undefined;
  const freeText = args.prefill?.kind === 'free_text' ? args.prefill.text : undefined;
  const blocks: KnownBlock[] = [];
  if (args.notice) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: args.notice } });
  if (args.metadata.usuals.length > 0) {
    blocks.push(
      input(
        'usual',
        'One of your usuals',
        {
          type: 'radio_buttons',
          options: args.metadata.usuals.map((usual, index) => option(describeOrder(usual), String(index))),
        },
        'Pick one to order it as is, or fill in the fields below.',
      ),
    );
  }
  blocks.push(
    input('drink', 'Drink', {
      type: 'static_select',
      placeholder: { type: 'plain_text', text: 'Choose a drink' },
      options: drinks.map((drink) => option(drink, drink)),
      ...(structured ? { initial_option: option(structured.drink, structured.drink) } : {}),
    }),
    input('size', 'Size', {
      type: 'static_select',
      placeholder: { type: 'plain_text', text: 'Choose a size' },
      options: sizes.map((size) => option(size, size)),
      initial_option: option(structured?.size ?? 'Medium', structured?.size ?? 'Medium'),
    }),
    input('customizations', 'Customizations', {
      type: 'plain_text_input',
      max_length: maxCustomizationChars,
      placeholder: { type: 'plain_text', text: 'e.g. oat milk, extra shot' },
      ...(structured?.customizations ? { initial_value: structured.customizations } : {}),
    }),
    input(
      'free_text',
      'Or type your whole order',
      {
        type: 'plain_text_input',
        max_length: maxFreeTextChars,
        ...(freeText ? { initial_value: freeText } : {}),
      },
      'Instead of the fields above: leave the drink empty when you type here.',
    ),
  );
  return {
    type: 'modal',
    callback_id: orderModalCallbackId,
    private_metadata: JSON.stringify(args.metadata),
    title: { type: 'plain_text', text: 'Coffee order' },
    submit: { type: 'plain_text', text: 'Place order' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** `view.state.values` as Slack sends it: block id → action id → element state. */
export const viewStateValues = z.record(
  z.string(),
  z.record(
    z.string(),
    z.object({
      type: z.string(),
      value: z.string().nullable().optional(),
      selected_option: z.object({ value: z.string() }).nullable().optional(),
      // Checkboxes and a users select (the admin settings modal).
      selected_options: z
        .array(z.object({ value: z.string().max(75) }))
        .max(10)
        .nullable()
        .optional(),
      selected_users: z
        .array(z.string().regex(/^[UW][A-Z0-9]{1,20}$/))
        .max(100)
        .nullable()
        .optional(),
    }),
  ),
);
export type ViewStateValues = z.infer<typeof viewStateValues>;

/** Typed text Postgres cannot store (NUL, a broken surrogate pair): the user is asked to retype it. */
const unstorableText = "That text has characters I can't store; please retype it.";

/**
 * Read a submitted modal into an order, or field errors for `response_action: errors`
 * (https://api.slack.com/surfaces/modals#displaying_errors), keyed by block id.
 */
export function parseOrderSubmission(
  values: ViewStateValues,
  usuals: readonly OrderSpec[],
): { ok: true; order: OrderSpec } | { ok: false; errors: Record<string, string> } {
  const text = (block: string) => values[block]?.value?.value ?? '';
  const selected = (block: string) => values[block]?.value?.selected_option?.value;

  const usualIndex = selected('usual');
  const usual = usualIndex === undefined ? undefined : usuals[Number(usualIndex)];
  if (usual) return { ok: true, order: usual };

  const freeText = text('free_text').trim();
  const pickedDrink = selected('drink');
  if (freeText && pickedDrink) {
    // Both a drink above and an order typed here: neither silently wins (people got the typed one
    // when they had just picked a drink); they say which they mean.
    return {
      ok: false,
      errors: {
        free_text: `You chose ${pickedDrink} above and typed an order here: clear this box to order the ${pickedDrink}, or clear the drink to order what you typed.`,
      },
    };
  }
  if (freeText) {
    if (!isStorableText(freeText)) return { ok: false, errors: { free_text: unstorableText } };
    if (freeText.length > maxFreeTextChars) {
      return { ok: false, errors: { free_text: `Keep it to ${maxFreeTextChars} characters (this is ${freeText.length}).` } };
    }
    return { ok: true, order: { kind: 'free_text', text: freeText } };
  }

  const errors: Record<string, string> = {};
  const drink = selected('drink');
  const size = selected('size');
  const customizations = text('customizations');
  if (!drink || !(drinks as readonly string[]).includes(drink)) {
    errors.drink = 'Choose a drink, or type your whole order in the box below.';
  }
  if (!size || !(sizes as readonly string[]).includes(size)) errors.size = 'Choose a size.';
  if (drink === 'Other' && !customizations.trim()) {
    // The runner cannot buy "Other": what it is has to be said.
    errors.customizations = 'Say which drink you want here (or type your whole order in the box below).';
  } else if (customizations.length > maxCustomizationChars) {
    errors.customizations = `Keep it to ${maxCustomizationChars} characters (this is ${customizations.length}).`;
  } else if (!isStorableText(customizations)) {
    errors.customizations = unstorableText;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, order: orderSpec.parse({ kind: 'structured', drink, size, customizations: customizations.trim() }) };
}
