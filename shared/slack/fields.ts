import { isStorableText } from '../text.ts';
import { z } from 'zod';

/**
 * A Slack id (team, channel, user) as Slack sends it: short printable ASCII. Anything else is not
 * from Slack, and is refused before it reaches a query or an index.
 */
export const slackId = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'not a Slack id');

/** Free text from Slack that is stored (names, metadata): bounded and storable. */
export const slackText = (max: number) => z.string().max(max).refine(isStorableText, 'text with characters that cannot be stored');
