import { z } from 'zod';
import { slackMessage, type EmulatedMessage, type SlackEmulator } from '../emulator.ts';
import type { BotAnswer, BotClient } from './bot-client.ts';
import type { ApiAnswer, SandboxPerson } from './protocol.ts';
import { blockActionsPayload, interactionForm, slashCommandForm, viewClosedPayload, viewSubmissionPayload, type StackedPayloadView } from './slack-payloads.ts';
import type { SandboxStateStore, StackedView } from './state.ts';

type Json = Record<string, unknown>;

/** An answer for the page: the HTTP status and `{ ok, error }`. */
export interface ApiResult {
  status: number;
  body: ApiAnswer;
}

const ok: ApiResult = { status: 200, body: { ok: true } };
const refuse = (error: string): ApiResult => ({ status: 400, body: { ok: false, error } });

// Request bodies (scripts/local/sandbox/protocol.ts), checked before anything is sent to the bot.
const id = z.string().min(1).max(255);
const stateValues = z.record(z.string().max(255), z.record(z.string().max(255), z.looseObject({ type: z.string().min(1).max(64) })));
const commandRequest = z.object({ userId: id, conversationId: id, text: z.string().max(4000) });
const option = z.object({ text: z.object({ type: z.literal('plain_text'), text: z.string().max(75) }), value: z.string().max(150) });
const actionRequest = z.object({
  userId: id,
  container: z.discriminatedUnion('type', [z.object({ type: z.literal('message'), messageId: id }), z.object({ type: z.literal('view'), viewId: id })]),
  blockId: z.string().max(255),
  actionId: id,
  elementType: z.string().min(1).max(64),
  value: z.string().max(2000).optional(),
  selectedOption: option.optional(),
  selectedOptions: z.array(option).max(10).optional(),
  selectedUser: id.optional(),
  stateValues: stateValues.optional(),
});
const submitRequest = z.object({ userId: id, viewId: id, values: stateValues });
const closeRequest = z.object({ userId: id, viewId: id });

/** The view submission answers Slack acts on (https://docs.slack.dev/surfaces/modals#updating_response). */
const submissionAnswer = z.union([
  z.object({ response_action: z.literal('errors'), errors: z.record(z.string(), z.string()) }),
  z.object({ response_action: z.enum(['update', 'push']), view: z.record(z.string(), z.unknown()) }),
  z.object({ response_action: z.literal('clear') }),
]);

/**
 * `POST /sandbox/api/command|action|submit|close`: what a person does in the page, turned into
 * exactly the signed request Slack would send the bot, and the bot's synchronous answer applied
 * as Slack applies it.
 */
export function createSandboxApi(deps: { emulator: SlackEmulator; state: SandboxStateStore; bot: BotClient }) {
  const { emulator, state, bot } = deps;
  let responseCounter = 0;

  /** Reports a failed delivery as Slack shows it to the user, and answers the page 502. */
  const failed = (method: string, answer: Extract<BotAnswer, { ok: false }>): ApiResult => {
    state.problem(method, `${answer.error}: ${answer.detail}`);
    return { status: 502, body: { ok: false, error: `${answer.error}: ${answer.detail}` } };
  };

  const personFor = (userId: string): SandboxPerson | string => state.person(userId) ?? `There is no person ${userId} in this sandbox.`;

  /** The view `viewId` if it is on top of `userId`'s modal, with its place in the stack. */
  const topView = (
    userId: string,
    viewId: string,
  ): { stack: StackedView[]; payloadView: (values: StackedPayloadView['values']) => StackedPayloadView } | string => {
    const stack = state.stack(userId);
    const top = stack.at(-1);
    if (!top) return `${userId} has no modal open.`;
    if (top.id !== viewId) return `View ${viewId} is not the view ${userId} sees (that is ${top.id}).`;
    return {
      stack,
      payloadView: (values) => ({ view: top.view, rootViewId: stack[0]!.id, previousViewId: stack.at(-2)?.id ?? null, values }),
    };
  };

  async function command(input: z.infer<typeof commandRequest>): Promise<ApiResult> {
    const person = personFor(input.userId);
    if (typeof person === 'string') return refuse(person);
    const conversation = state.conversation(input.conversationId);
    if (!conversation || (conversation.userId ?? person.id) !== person.id) {
      return refuse(`${person.name} has no conversation ${input.conversationId} here.`);
    }
    const target = { channel: conversation.id, user: person.id };
    const form = slashCommandForm({
      person,
      conversation,
      text: input.text,
      responseUrl: emulator.responseUrl(`sandbox-${++responseCounter}`, target),
      triggerId: state.issueTrigger(person.id),
    });
    state.echo(person.id, conversation.id, `/coffee ${input.text}`.trim());
    const answer = await bot('/slack/commands', form);
    if (!answer.ok) return failed('slash command', answer);
    if (answer.text.trim() === '') return ok;
    // Slack shows a plain-text answer as is, a JSON one by its text, blocks and response_type.
    let message: Json = { text: answer.text };
    if (answer.contentType.includes('application/json')) {
      const parsed = parseJson(answer.text);
      if (!parsed) return failed('slash command', { ok: false, error: 'dispatch_failed', detail: 'the app answered with JSON that does not parse' });
      message = pick(parsed, ['text', 'blocks', 'response_type']);
    }
    const violations = emulator.deliver(target, message);
    if (violations.length > 0) return refusedAnswer('slash command', violations);
    state.refresh();
    return ok;
  }

  async function action(input: z.infer<typeof actionRequest>): Promise<ApiResult> {
    const person = personFor(input.userId);
    if (typeof person === 'string') return refuse(person);
    let blocks: unknown;
    let container: Parameters<typeof blockActionsPayload>[0]['container'];
    if (input.container.type === 'message') {
      const found = state.visibleMessage(person.id, input.container.messageId);
      if (!found?.source) return refuse(`${person.name} sees no message ${input.container.messageId} with buttons.`);
      const { message, source } = found;
      const ephemeral = message.ephemeralFor !== undefined;
      const conversation = state.conversation(message.conversationId)!;
      const target = { channel: conversation.id, user: person.id, messageTs: source.ts, ephemeral };
      blocks = message.blocks;
      container = {
        type: 'message',
        message: {
          conversation,
          ts: source.ts,
          ...(message.threadTs ? { threadTs: message.threadTs } : {}),
          ...(ephemeral ? {} : { message: slackMessage(source as EmulatedMessage) }),
          ephemeral,
          responseUrl: emulator.responseUrl(`sandbox-${++responseCounter}`, target),
        },
      };
    } else {
      const top = topView(person.id, input.container.viewId);
      if (typeof top === 'string') return refuse(top);
      const view = top.payloadView(input.stateValues ?? {});
      blocks = view.view.blocks;
      container = { type: 'view', view };
    }
    const element = findElement(blocks, input.blockId, input.actionId);
    if (!element) return refuse(`There is no element with action_id "${input.actionId}" in block "${input.blockId}" there.`);
    if (element.element.type !== input.elementType) {
      return refuse(`The element "${input.actionId}" is a ${String(element.element.type)}, not a ${input.elementType}.`);
    }
    const chosen = actionValue(element.element, input);
    if (typeof chosen === 'string') return refuse(chosen);
    const payload = blockActionsPayload({
      person,
      triggerId: state.issueTrigger(person.id),
      container,
      action: {
        type: element.element.type,
        action_id: input.actionId,
        block_id: element.blockId,
        ...(element.element.text ? { text: element.element.text } : {}),
        ...(element.element.style ? { style: element.element.style } : {}),
        ...chosen,
        action_ts: actionTs(),
      },
    });
    const answer = await bot('/slack/interactions', interactionForm(payload));
    return answer.ok ? ok : failed('block_actions', answer);
  }

  async function submit(input: z.infer<typeof submitRequest>): Promise<ApiResult> {
    const person = personFor(input.userId);
    if (typeof person === 'string') return refuse(person);
    const top = topView(person.id, input.viewId);
    if (typeof top === 'string') return refuse(top);
    const payload = viewSubmissionPayload({ person, triggerId: state.issueTrigger(person.id), view: top.payloadView(input.values) });
    const answer = await bot('/slack/interactions', interactionForm(payload));
    if (!answer.ok) return failed('view_submission', answer);
    // The stack may have changed while the bot worked (a views.update); act on the current one.
    const stack = state.stack(person.id);
    const below = stack.slice(0, -1);
    const current = stack.at(-1);
    if (!current) return ok;
    if (answer.text.trim() === '') {
      state.setStack(person.id, below);
      return ok;
    }
    const parsed = submissionAnswer.safeParse(parseJson(answer.text));
    if (!parsed.success) {
      state.problem('view_submission', `Slack cannot use this answer to a view submission: ${answer.text.slice(0, 300)}`);
      return { status: 502, body: { ok: false, error: 'The app answered the submission with something Slack cannot use; see the problems.' } };
    }
    const reply = parsed.data;
    if (reply.response_action === 'errors') {
      state.setStack(person.id, [...below, { ...current, errors: reply.errors }]);
    } else if (reply.response_action === 'clear') {
      state.setStack(person.id, []);
    } else {
      const put = emulator.putView(reply.view, reply.response_action === 'update' ? current.id : undefined);
      if ('violations' in put) return refusedAnswer(`response_action: ${reply.response_action}`, put.violations);
      const entry = { id: String(put.view.id), view: put.view };
      state.setStack(person.id, reply.response_action === 'update' ? [...below, entry] : [...stack, entry]);
    }
    return ok;
  }

  async function close(input: z.infer<typeof closeRequest>): Promise<ApiResult> {
    const person = personFor(input.userId);
    if (typeof person === 'string') return refuse(person);
    const top = topView(person.id, input.viewId);
    if (typeof top === 'string') return refuse(top);
    const view = top.payloadView({});
    const cleared = view.view.clear_on_close === true;
    // Slack closes the view whatever the app answers; it only tells apps that asked.
    state.setStack(person.id, cleared ? [] : top.stack.slice(0, -1));
    if (view.view.notify_on_close !== true) return ok;
    const answer = await bot('/slack/interactions', interactionForm(viewClosedPayload({ person, view, cleared })));
    return answer.ok ? ok : failed('view_closed', answer);
  }

  /** Slack refused what the app answered: the user sees an error, the problems panel says why. */
  const refusedAnswer = (method: string, violations: string[]): ApiResult => {
    for (const violation of violations) state.problem(method, `Slack would refuse this: ${violation}`);
    return { status: 502, body: { ok: false, error: `Slack would refuse the app's answer: ${violations.join('; ')}` } };
  };

  const routes = {
    command: { schema: commandRequest, run: command },
    action: { schema: actionRequest, run: action },
    submit: { schema: submitRequest, run: submit },
    close: { schema: closeRequest, run: close },
  } as const;

  /** Handles `POST /sandbox/api/<name>` with the raw body. */
  return async function handle(name: string, rawBody: string): Promise<ApiResult> {
    const route = routes[name as keyof typeof routes];
    if (!route) return { status: 404, body: { ok: false, error: `There is no sandbox API call "${name}" (try command, action, submit or close).` } };
    const json = parseJson(rawBody);
    if (json === undefined) return refuse('The body must be a JSON object.');
    const parsed = route.schema.safeParse(json);
    if (!parsed.success) return refuse(`Invalid ${name} request: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
    return (route.run as (input: unknown) => Promise<ApiResult>)(parsed.data);
  };
}

/** The interactive element `actionId` in block `blockId`; blocks without a block_id take the one given (Slack makes one up). */
function findElement(blocks: unknown, blockId: string, actionId: string): { blockId: string; element: Json } | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const block of blocks as Json[]) {
    if (block.block_id !== undefined && block.block_id !== blockId) continue;
    const elements = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory, block.element] as unknown[];
    const element = elements.find((e): e is Json => typeof e === 'object' && e !== null && (e as Json).action_id === actionId);
    if (element) return { blockId: String(block.block_id ?? blockId), element };
  }
  return undefined;
}

/**
 * What the action carries, as Slack sends it per element: a button its own `value` (the page
 * cannot change it), selects what was chosen, other elements the value given.
 */
function actionValue(element: Json, input: z.infer<typeof actionRequest>): Json | string {
  const type = String(element.type);
  if (type === 'button') return typeof element.value === 'string' ? { value: element.value } : {};
  if (type === 'static_select' || type === 'external_select' || type === 'radio_buttons' || type === 'overflow') {
    return input.selectedOption ? { selected_option: input.selectedOption } : `A ${type} action needs selectedOption.`;
  }
  if (type === 'users_select') return input.selectedUser ? { selected_user: input.selectedUser } : 'A users_select action needs selectedUser.';
  if (type === 'checkboxes') return { selected_options: input.selectedOptions ?? [] };
  return input.value === undefined ? {} : { value: input.value };
}

function actionTs(): string {
  const ms = Date.now();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000).padStart(6, '0')}`;
}

function parseJson(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

function pick(source: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
}
