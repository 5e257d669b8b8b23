/**
 * What the browser sandbox (`npm start` at `/`) and its server say to each other. The server side
 * (scripts/local/sandbox/server.ts) plays Slack: it keeps what the emulator saw as a Slack-like state,
 * streams it to the page, and turns the page's clicks into the signed requests Slack would send.
 * The page (scripts/local/sandbox/page/, bundled by esbuild when `npm start` starts) only renders that
 * state and posts these requests.
 */

/** A local person the page can act as. */
export interface SandboxPerson {
  id: string;
  name: string;
  realName: string;
  /** IANA zone; `<!date^…>` and times render in the viewer's zone. */
  tz: string;
  isAdmin: boolean;
}

/** A conversation the page lists: the shared channel, or the bot's DM with one person. */
export interface SandboxConversation {
  id: string;
  /** `#coffee`, or the person's name for a DM. */
  name: string;
  kind: 'channel' | 'dm';
  /** For a DM: the person it is with (only they see it). */
  userId?: string;
}

/** A message as a Slack client shows it. Ephemeral ones are only shown to `ephemeralFor`. */
export interface SandboxMessage {
  /** Unique within the state; Slack's `ts` for real messages, a local id for ephemeral ones. */
  id: string;
  conversationId: string;
  ts: string;
  /** Set on a thread reply: the parent's ts. */
  threadTs?: string;
  /** `bot`, or the user id of a person (e.g. the echo of their own slash command). */
  author: 'bot' | string;
  text: string;
  /** Block Kit blocks as posted, unchanged. */
  blocks?: unknown[];
  edited: boolean;
  ephemeralFor?: string;
  /** Block Kit limits this message broke, as the emulator detected them (Slack would refuse it). */
  violations?: string[];
}

/** An open modal (the top of `stack` is shown) for one person. */
export interface SandboxModal {
  userId: string;
  /** Views as opened/pushed/updated, bottom first; each carries Slack's view `id`. */
  stack: { id: string; view: Record<string, unknown>; errors?: Record<string, string> }[];
}

/** A call the bot made that Slack would refuse, for the page's problems panel. */
export interface SandboxProblem {
  at: string;
  method: string;
  problem: string;
}

/** The whole state, sent on connect and after every change (`event: state` on the SSE stream). */
export interface SandboxState {
  version: number;
  people: SandboxPerson[];
  conversations: SandboxConversation[];
  /** In post order; deleted messages are gone. */
  messages: SandboxMessage[];
  modals: SandboxModal[];
  problems: SandboxProblem[];
}

/** `GET /sandbox/events`: a `text/event-stream` of `event: state\ndata: <SandboxState JSON>`. */
export const SANDBOX_EVENTS_PATH = '/sandbox/events';
/** `GET /sandbox/app.js` and `/sandbox/app.css`: the bundled page. `GET /` is the page itself. */
export const SANDBOX_ASSET_PREFIX = '/sandbox/';

/** `POST /sandbox/api/command`: type `/coffee <text>` as `userId` in `conversationId`. */
export interface CommandRequest {
  userId: string;
  conversationId: string;
  text: string;
}

/**
 * `POST /sandbox/api/action`: a click on an interactive element, in a message or in a modal.
 * The server sends a signed `block_actions` payload to `/slack/interactions`.
 */
export interface ActionRequest {
  userId: string;
  /** Where the element is: a message (`messageId` from {@link SandboxMessage.id}) or a view. */
  container: { type: 'message'; messageId: string } | { type: 'view'; viewId: string };
  blockId: string;
  actionId: string;
  /** The element's `type` (`button`, `static_select`, `users_select`, …). */
  elementType: string;
  value?: string;
  selectedOption?: { text: { type: 'plain_text'; text: string }; value: string };
  selectedUser?: string;
  /** Checkboxes: the options checked now (Slack's `selected_options`). */
  selectedOptions?: { text: { type: 'plain_text'; text: string }; value: string }[];
  /** For an action inside a modal: the view's current input values, as Slack puts them in `view.state.values`. */
  stateValues?: Record<string, Record<string, unknown>>;
}

/**
 * `POST /sandbox/api/submit`: submit the top view of `userId`'s modal with `values` shaped as
 * Slack's `view.state.values` (`{ [block_id]: { [action_id]: { type, value | selected_option |
 * selected_options | selected_user | selected_users } } }`). The server sends `view_submission` and
 * applies the answer (`response_action: errors | update | push | clear`, or close).
 */
export interface SubmitRequest {
  userId: string;
  viewId: string;
  values: Record<string, Record<string, unknown>>;
}

/** `POST /sandbox/api/close`: the user closed the modal (`view_closed` when the view asked for `notify_on_close`). */
export interface CloseRequest {
  userId: string;
  viewId: string;
}

/** What every `/sandbox/api/*` call answers: 200 `{ ok: true }`, or 4xx/502 `{ ok: false, error }` with a readable error. */
export interface ApiAnswer {
  ok: boolean;
  error?: string;
}
