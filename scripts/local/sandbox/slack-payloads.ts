import { emulatedTeamId } from '../emulator.ts';
import type { SandboxConversation, SandboxPerson } from './protocol.ts';

/**
 * The requests Slack sends an app, built the way Slack builds them, for the sandbox to sign and
 * post: slash commands (https://docs.slack.dev/interactivity/implementing-slash-commands) and
 * interaction payloads (https://docs.slack.dev/reference/interaction-payloads).
 */

type Json = Record<string, unknown>;

/** The app the sandbox plays Slack for. */
export const sandboxAppId = 'A0SANDBOX';
const team = { id: emulatedTeamId, domain: 'emulated' };
/** Slack still sends the legacy verification token; apps that verify signatures ignore it. */
const verificationToken = 'sandbox-verification-token';

const slackUser = (person: SandboxPerson) => ({ id: person.id, username: person.name, name: person.name, team_id: emulatedTeamId });
/** Slack names a DM `directmessage` in slash commands; a channel by its name without `#`. */
const channelName = (conversation: SandboxConversation) => (conversation.kind === 'dm' ? 'directmessage' : conversation.name.replace(/^#/, ''));

/** `/coffee <text>` as the form Slack posts to the command's request URL. */
export function slashCommandForm(args: {
  person: SandboxPerson;
  conversation: SandboxConversation;
  text: string;
  responseUrl: string;
  triggerId: string;
}): string {
  return new URLSearchParams({
    token: verificationToken,
    team_id: team.id,
    team_domain: team.domain,
    channel_id: args.conversation.id,
    channel_name: channelName(args.conversation),
    user_id: args.person.id,
    user_name: args.person.name,
    command: '/coffee',
    text: args.text,
    api_app_id: sandboxAppId,
    is_enterprise_install: 'false',
    response_url: args.responseUrl,
    trigger_id: args.triggerId,
  }).toString();
}

/** An interaction as Slack posts it: form-encoded `payload=<json>`. */
export function interactionForm(payload: Json): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** What an action on a message needs: the message as Slack holds it, where it is, whose it is. */
export interface MessageContainer {
  conversation: SandboxConversation;
  ts: string;
  threadTs?: string;
  /** The message as Slack sends it in `message` (omitted for an ephemeral one, as Slack does). */
  message?: Json;
  ephemeral: boolean;
  responseUrl: string;
}

/** A view with its place in the person's stack, as Slack describes it in payloads. */
export interface StackedPayloadView {
  view: Json;
  rootViewId: string;
  previousViewId: string | null;
  values: Record<string, Record<string, unknown>>;
}

/**
 * A `block_actions` payload: one action on an element of a message or of a view. Message
 * actions carry the channel, the message (unless ephemeral) and a `response_url`; view actions
 * carry the view with its current input values.
 */
export function blockActionsPayload(args: {
  person: SandboxPerson;
  triggerId: string;
  action: Json;
  container: { type: 'message'; message: MessageContainer } | { type: 'view'; view: StackedPayloadView };
}): Json {
  const common = {
    type: 'block_actions',
    user: slackUser(args.person),
    api_app_id: sandboxAppId,
    token: verificationToken,
    trigger_id: args.triggerId,
    team,
    enterprise: null,
    is_enterprise_install: false,
    actions: [args.action],
  };
  if (args.container.type === 'view') {
    const view = payloadView(args.container.view);
    return { ...common, container: { type: 'view', view_id: view.id }, view };
  }
  const m = args.container.message;
  return {
    ...common,
    container: {
      type: 'message',
      message_ts: m.ts,
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      channel_id: m.conversation.id,
      is_ephemeral: m.ephemeral,
    },
    channel: { id: m.conversation.id, name: channelName(m.conversation) },
    ...(m.message ? { message: m.message } : {}),
    state: { values: {} },
    response_url: m.responseUrl,
  };
}

/** A `view_submission`: the top view with what the person entered; `response_urls` only for views that ask for them. */
export function viewSubmissionPayload(args: { person: SandboxPerson; triggerId: string; view: StackedPayloadView }): Json {
  return {
    type: 'view_submission',
    team,
    user: slackUser(args.person),
    api_app_id: sandboxAppId,
    token: verificationToken,
    trigger_id: args.triggerId,
    view: payloadView(args.view),
    response_urls: [],
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** A `view_closed`, sent only for views opened with `notify_on_close`. */
export function viewClosedPayload(args: { person: SandboxPerson; view: StackedPayloadView; cleared: boolean }): Json {
  return {
    type: 'view_closed',
    team,
    user: slackUser(args.person),
    api_app_id: sandboxAppId,
    token: verificationToken,
    view: payloadView(args.view),
    is_cleared: args.cleared,
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** The view object of interaction payloads: the view as opened, its state and its place in the stack. */
function payloadView(stacked: StackedPayloadView): Json & { id: string } {
  const view = stacked.view;
  return {
    ...view,
    id: String(view.id),
    team_id: emulatedTeamId,
    type: view.type ?? 'modal',
    callback_id: view.callback_id ?? '',
    private_metadata: view.private_metadata ?? '',
    external_id: view.external_id ?? '',
    clear_on_close: view.clear_on_close ?? false,
    notify_on_close: view.notify_on_close ?? false,
    state: { values: stacked.values },
    root_view_id: stacked.rootViewId,
    previous_view_id: stacked.previousViewId,
    app_id: sandboxAppId,
    bot_id: 'B000BOT',
  };
}
