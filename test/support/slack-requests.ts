import { emulatedTeamId, type SlackEmulator } from '../../scripts/local/emulator.ts';
import { signSlackRequest } from '../../shared/slack/verify-request.ts';

/**
 * The payloads here follow the shapes Slack sends, as Slack's own SDK test suites record them
 * (slackapi/bolt-python tests/scenario_tests/test_slash_command.py, test_block_actions.py,
 * test_view_submission.py) and the payload reference (https://docs.slack.dev/reference/interaction-payloads):
 * `api_app_id`, the legacy `token`, `enterprise` / `is_enterprise_install`, a message action's
 * `container`, a view's `hash` and `state.values` with every input, touched or not.
 */

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

/**
 * Where a payload's `trigger_id` comes from: the emulator playing Slack issues one now (so a
 * `views.open` with it works once within 3 s), or a given id.
 */
export type TriggerSource = Pick<SlackEmulator, 'issueTrigger'> | string;

/**
 * A trigger no emulator issued, for requests whose modal no one will open: unit tests without an
 * emulator, and requests signed for another process (`npm start`). Slack would refuse a
 * `views.open` with it (`invalid_trigger_id`), and so does the emulator.
 */
export const unissuedTrigger = '0.0.unissued';

const triggerFrom = (source: TriggerSource): string => (typeof source === 'string' ? source : source.issueTrigger());

/** The app the payloads are addressed to, and the legacy verification token Slack still sends. */
const appId = 'A0COFFEE';
const verificationToken = 'legacy-verification-token';
const team = { id: emulatedTeamId, domain: 'emulated' };
const slackUser = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: emulatedTeamId });

/** A form-encoded `/coffee` payload as Slack posts it. */
export function slashCommandBody(fields: {
  text: string;
  trigger: TriggerSource;
  userId?: string;
  channelId?: string;
  channelName?: string;
  teamId?: string;
  responseUrl?: string;
  /** `/coffee` unless given (`/coffee-history`, `/coffee-cancel`). */
  command?: string;
}): string {
  return new URLSearchParams({
    token: verificationToken,
    team_id: fields.teamId ?? team.id,
    team_domain: team.domain,
    channel_id: fields.channelId ?? 'C0001',
    channel_name: fields.channelName ?? 'coffee',
    user_id: fields.userId ?? 'U0001',
    user_name: 'ana',
    command: fields.command ?? '/coffee',
    text: fields.text,
    api_app_id: appId,
    is_enterprise_install: 'false',
    response_url: fields.responseUrl ?? 'http://127.0.0.1:9/response',
    trigger_id: triggerFrom(fields.trigger),
  }).toString();
}

/** A form-encoded interaction as Slack posts it: `payload=<json>`. */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/**
 * A button click on a message in `channelId` (the message `messageTs`, a reply in the thread
 * `threadTs` when given; an ephemeral one carries no `message`, as on Slack).
 */
export function blockActionBody(args: {
  userId: string;
  channelId: string;
  actionId: string;
  value: string;
  trigger: TriggerSource;
  responseUrl?: string;
  messageTs?: string;
  threadTs?: string;
  ephemeral?: boolean;
}): string {
  const messageTs = args.messageTs ?? '1.000000';
  const thread = args.threadTs ? { thread_ts: args.threadTs } : {};
  return interactionBody({
    type: 'block_actions',
    user: slackUser(args.userId),
    api_app_id: appId,
    token: verificationToken,
    container: { type: 'message', message_ts: messageTs, ...thread, channel_id: args.channelId, is_ephemeral: args.ephemeral ?? false },
    trigger_id: triggerFrom(args.trigger),
    team,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: args.channelId, name: 'coffee' },
    ...(args.ephemeral ? {} : { message: { type: 'message', user: 'U000BOT', bot_id: 'B000BOT', text: '', ts: messageTs, ...thread } }),
    state: { values: {} },
    response_url: args.responseUrl ?? 'http://127.0.0.1:9/response',
    actions: [
      {
        action_id: args.actionId,
        block_id: 'run.actions',
        text: { type: 'plain_text', text: args.actionId, emoji: true },
        value: args.value,
        type: 'button',
        action_ts: '1.000001',
      },
    ],
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

/**
 * A submitted order modal carrying `privateMetadata` (as the modal was opened with). Every input
 * is in `state.values`, the ones the user left alone with a null value, as Slack sends them.
 */
export function viewSubmissionBody(args: { userId: string; privateMetadata: string; trigger: TriggerSource; callbackId?: string; input: ModalInput }): string {
  const select = (value: string | undefined) => ({ value: { type: 'static_select', selected_option: value ? { value } : null } });
  const text = (value: string | undefined) => ({ value: { type: 'plain_text_input', value: value ?? null } });
  return interactionBody({
    type: 'view_submission',
    team,
    user: slackUser(args.userId),
    api_app_id: appId,
    token: verificationToken,
    trigger_id: triggerFrom(args.trigger),
    view: {
      id: 'V0000001',
      team_id: emulatedTeamId,
      type: 'modal',
      blocks: [],
      private_metadata: args.privateMetadata,
      callback_id: args.callbackId ?? 'order.submit',
      state: {
        values: {
          ...(args.input.usual !== undefined ? { usual: { value: { type: 'radio_buttons', selected_option: { value: args.input.usual } } } } : {}),
          drink: select(args.input.drink),
          size: select(args.input.size),
          customizations: text(args.input.customizations),
          free_text: text(args.input.freeText),
        },
      },
      hash: '1700000000.emulated',
      title: { type: 'plain_text', text: 'Your order' },
      clear_on_close: false,
      notify_on_close: false,
      previous_view_id: null,
      root_view_id: 'V0000001',
      app_id: appId,
      external_id: '',
      app_installed_team_id: emulatedTeamId,
      bot_id: 'B000BOT',
    },
    response_urls: [],
    enterprise: null,
    is_enterprise_install: false,
  });
}
