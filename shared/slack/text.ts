import { formerMember, isForgotten } from '../domain/forgotten.ts';
/**
 * Escape user text for Slack mrkdwn: `&`, `<` and `>` are the only control characters
 * (https://api.slack.com/reference/surfaces/formatting#escaping). Escaping them means `<!channel>`
 * or `<@U123>` typed in a note shows as text and never pings anyone.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * What a user typed, shown back to them inside a `code` span: escaped (a typed `<!channel>` stays
 * text), a backtick made a quote so it cannot close the span, and cut to `max` characters.
 */
export function typedText(text: string, max = 40): string {
  return escapeMrkdwn(truncate(text.replace(/`/g, "'"), max));
}

/** A user mention (`<@U123>`), which Slack renders as the user's current name. */
export function mention(slackUserId: string): string {
  // Someone who used `/coffee forget-me` has a tombstone id: there is nobody to mention.
  return isForgotten(slackUserId) ? formerMember : `<@${slackUserId}>`;
}

/**
 * A date Slack renders in each reader's own time zone
 * (https://api.slack.com/reference/surfaces/formatting#date-formatting), with a fallback. `format`
 * is Slack's token string: the time by default, e.g. `{date_short_pretty} {time}` for a day too.
 */
export function slackTime(at: Date, fallback: string, format = '{time}'): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^${format}|${escapeMrkdwn(fallback)}>`;
}

/**
 * `slackTime` mid-sentence, after `lead` ("until", "through"): Slack capitalises "Today" and
 * "Tomorrow" when its format starts with them, so the lead word goes inside the format (and the
 * fallback) to keep them lower-case: "until today at 14:00".
 */
export function slackTimeAfter(lead: string, at: Date, fallback: string, format: string): string {
  return slackTime(at, `${lead} ${fallback}`, `${lead} ${format}`);
}

/** A date and time Slack renders in each reader's zone, falling back to the UTC minute (`2026-11-30 08:30 UTC`). */
export function slackDateTime(at: Date, format = '{date_short_pretty} {time}'): string {
  return slackTime(at, `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`, format);
}

/** Cut text to `max` characters, marking the cut, so Block Kit limits are never exceeded. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
