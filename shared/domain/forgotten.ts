import { randomUUID } from 'node:crypto';

/**
 * `/coffee forget-me` keeps a person's past orders and the runs they carried (the channel's
 * fairness history needs them) but not who they were: their `users.slack_user_id` becomes a
 * tombstone id like this one, which no Slack id can look like (Slack ids are upper case).
 */
const tombstonePrefix = 'forgotten-';

/** How a forgotten person is shown wherever they would have been mentioned. */
export const formerMember = '(a former member)';

/** A fresh tombstone id: each forgotten person stays distinct (their runs count separately). */
export function tombstoneId(): string {
  return `${tombstonePrefix}${randomUUID()}`;
}

/** Whether a user id is a tombstone left by `/coffee forget-me`. */
export function isForgotten(slackUserId: string): boolean {
  return slackUserId.startsWith(tombstonePrefix);
}
