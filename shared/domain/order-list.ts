import { mention } from '../slack/text.ts';
import { renderOrder, type OrderSpec } from './orders.ts';

export interface PersonOrder {
  slackUserId: string;
  order: OrderSpec;
}

/** Totals by drink and size, most first; typed (free-text) orders counted together. */
export function orderTotals(orders: readonly PersonOrder[]): { label: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const { order } of orders) {
    const label = order.kind === 'free_text' ? 'typed order' : `${order.drink} (${order.size})`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/** "3× Latte (Medium), 1× typed order" */
export function totalsLine(orders: readonly PersonOrder[]): string {
  return orderTotals(orders)
    .map(({ label, count }) => `${count}× ${label}${label === 'typed order' && count > 1 ? 's' : ''}`)
    .join(', ');
}

/**
 * One line per person, escaped: the list the channel summary and the runner's DM both show.
 * Someone who said `/coffee forget-me` shows as "(a former member)".
 */
export function orderLines(orders: readonly PersonOrder[]): string[] {
  return orders.map(({ slackUserId, order }) => `• ${mention(slackUserId)} ${renderOrder(order)}`);
}
