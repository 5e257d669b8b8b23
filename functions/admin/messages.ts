import type { SlackMessage } from '../../shared/slack/port.ts';
import { mention } from '../../shared/slack/text.ts';

/** What the channel reads once its CoffeeBuddy data is gone. */
export function resetNotice(requestedBySlackUserId: string): SlackMessage {
  return {
    text: `:broom: CoffeeBuddy's data for this channel was reset by ${mention(requestedBySlackUserId)}: past runs, orders and remembered last orders are gone. Settings and the admin log stay.`,
  };
}
