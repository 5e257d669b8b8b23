import type { KnownBlock } from '@slack/types';
import { orderLines, totalsLine, type PersonOrder } from './order-list.ts';

// A section holds 3000 characters; long lists are split over several sections.
function listSections(lines: string[], blockId: string): KnownBlock[] {
  const sections: string[] = [];
  for (const line of lines) {
    const last = sections.at(-1);
    if (last !== undefined && last.length + 1 + line.length <= 3000) sections[sections.length - 1] = `${last}\n${line}`;
    else sections.push(line);
  }
  return sections.slice(0, 40).map((text, index) => ({ type: 'section', block_id: `${blockId}.${index}`, text: { type: 'mrkdwn', text } }));
}

/** The order list and totals, identical in the channel summary and the runner's DM. */
export function orderBlocks(orders: readonly PersonOrder[]): KnownBlock[] {
  return [
    ...listSections(orderLines(orders), 'orders'),
    { type: 'section', block_id: 'totals', text: { type: 'mrkdwn', text: `*Totals:* ${totalsLine(orders)}` } },
  ];
}
