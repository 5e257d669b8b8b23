import { signSlackRequest } from '../slack/verify-request.ts';

/** Headers Slack would send with `body`, signed with `secret` at `at`. */
export function slackHeaders(secret: string, body: string, at: Date): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': signSlackRequest(secret, timestamp, body),
  };
}

/** A form-encoded `/coffee` payload as Slack posts it. */
export function slashCommandBody(fields: {
  text: string;
  userId?: string;
  channelId?: string;
  teamId?: string;
  responseUrl?: string;
}): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: fields.teamId ?? 'T0001',
    team_domain: 'example',
    channel_id: fields.channelId ?? 'C0001',
    channel_name: 'coffee',
    user_id: fields.userId ?? 'U0001',
    user_name: 'ana',
    command: '/coffee',
    text: fields.text,
    response_url: fields.responseUrl ?? 'http://127.0.0.1:9/response',
    trigger_id: '123.456.abc',
    api_app_id: 'A0001',
  }).toString();
}
