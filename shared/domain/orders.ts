import { z } from 'zod';
import { escapeMrkdwn, truncate } from '../slack/text.ts';

export const drinks = ['Latte', 'Espresso', 'Cappuccino', 'Americano', 'Mocha', 'Other'] as const;
export const sizes = ['Small', 'Medium', 'Large'] as const;
export const maxCustomizationChars = 200;
export const maxFreeTextChars = 200;

/**
 * What someone ordered: a structured drink (drink, size, customizations) or free text instead.
 * Stored exactly as typed; escaped only when rendered.
 */
export const orderSpec = z.union([
  z.object({
    kind: z.literal('structured'),
    drink: z.enum(drinks),
    size: z.enum(sizes),
    customizations: z.string().max(maxCustomizationChars),
  }),
  z.object({ kind: z.literal('free_text'), text: z.string().min(1).max(maxFreeTextChars) }),
]);
export type OrderSpec = z.infer<typeof orderSpec>;

/** The order as plain text, e.g. `Latte · Medium · oat milk` (unescaped; for plain_text fields). */
export function describeOrder(order: OrderSpec): string {
  if (order.kind === 'free_text') return order.text;
  return [order.drink, order.size, order.customizations.trim()].filter(Boolean).join(' · ');
}

/** The order as mrkdwn: escaped, so `<!channel>` or `<@U…>` typed in an order is just text. */
export function renderOrder(order: OrderSpec, maxChars = 150): string {
  return escapeMrkdwn(truncate(describeOrder(order), maxChars));
}

/** Row shape → OrderSpec (rows keep drink/size/customizations or free_text). */
export function orderFromRow(row: { drink: string | null; size: string | null; customizations: string | null; freeText: string | null }): OrderSpec {
  if (row.freeText !== null) return { kind: 'free_text', text: row.freeText };
  return orderSpec.parse({ kind: 'structured', drink: row.drink, size: row.size, customizations: row.customizations ?? '' });
}
