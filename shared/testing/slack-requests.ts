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

/**
 * The one channel and user of local runs: `npm start`'s emulator knows this user, and its banner's
 * curl and `npm run slack:curl` both sign requests from them, so pasted commands act on one run.
 */
export const localSlack = { channelId: 'C0LOCAL1', userId: 'U0LOCAL1', userName: 'ana' } as const;

/** A form-encoded `/coffee` payload as Slack posts it. */
export function slashCommandBody(fields: {
  text: string;
  userId?: string;
  channelId?: string;
  channelName?: string;
  teamId?: string;
  responseUrl?: string;
}): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: fields.teamId ?? 'T0001',
    team_domain: 'example',
    channel_id: fields.channelId ?? 'C0001',
    channel_name: fields.channelName ?? 'coffee',
    user_id: fields.userId ?? 'U0001',
    user_name: 'ana',
    command: '/coffee',
    text: fields.text,
    response_url: fields.responseUrl ?? 'http://127.0.0.1:9/response',
    trigger_id: '123.456.abc',
    api_app_id: 'A0001',
  }).toString();
}

/** A form-encoded interaction as Slack posts it: `payload=<json>`. */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A button click on a message in `channelId` (the message `messageTs`, a reply in the thread `threadTs` when given). */
export function blockActionBody(args: {
  userId: string;
  channelId: string;
  actionId: string;
  value: string;
  responseUrl?: string;
  messageTs?: string;
  threadTs?: string;
}): string {
  return interactionBody({
    type: 'block_actions',
    user: { id: args.userId, team_id: 'T0001' },
    team: { id: 'T0001' },
    channel: { id: args.channelId },
    container: { type: 'message', channel_id: args.channelId, message_ts: args.messageTs ?? '1.0', ...(args.threadTs ? { thread_ts: args.threadTs } : {}) },
    trigger_id: `trigger-${args.userId}-${Math.random().toString(36).slice(2)}`,
    response_url: args.responseUrl ?? 'http://127.0.0.1:9/response',
    actions: [{ action_id: args.actionId, block_id: 'run.actions', value: args.value, type: 'button' }],
  });
}

/** The modal fields a user filled in; omitted fields are left empty. */
export interface ModalInput {
  usual?: string;
  drink?: string;
  size?: string;
  customizations?: string;
  freeText?: string;
}

/** A submitted order modal carrying `privateMetadata` (as the modal was opened with). */
export function viewSubmissionBody(args: { userId: string; privateMetadata: string; callbackId?: string; input: ModalInput }): string {
  const select = (value: string | undefined) => ({ value: { type: 'static_select', selected_option: value ? { value } : null } });
  const text = (value: string | undefined) => ({ value: { type: 'plain_text_input', value: value ?? null } });
  return interactionBody({
    type: 'view_submission',
    user: { id: args.userId, team_id: 'T0001' },
    team: { id: 'T0001' },
    view: {
      id: 'V1',
      callback_id: args.callbackId ?? 'order.submit',
      private_metadata: args.privateMetadata,
      state: {
        values: {
          ...(args.input.usual !== undefined ? { usual: { value: { type: 'radio_buttons', selected_option: { value: args.input.usual } } } } : {}),
          drink: select(args.input.drink),
          size: select(args.input.size),
          customizations: text(args.input.customizations),
          free_text: text(args.input.freeText),
        },
      },
    },
  });
}
