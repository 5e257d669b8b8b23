/** Where a run is in its life. */
export type RunStatus = 'open' | 'closed' | 'completed' | 'canceled' | 'failed';

/** A run as queries return it: with its channel's Slack id and the Slack ids of who started it and who runs it. */
export interface RunRow {
  id: string;
  status: RunStatus;
  slackChannelId: string;
  initiatorSlackUserId: string;
  runnerSlackUserId: string | null;
}
