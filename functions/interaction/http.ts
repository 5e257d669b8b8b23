import { jsonError, type HttpResponse } from '../../shared/http/types.ts';
import { slackRoute } from '../../shared/slack/ingress.ts';
import { handleBlockAction, handleViewSubmission } from './handler.ts';
import type { InteractionRouteDeps } from './orders.ts';
import { interactionPayload, type InteractionPayload } from './schema.ts';

const handledTypes = new Set(['block_actions', 'view_submission', 'view_closed']);

/**
 * `POST /slack/interactions`: Slack sends `payload=<json>` form-encoded, signed like commands
 * (https://api.slack.com/interactivity/handling#payloads), routed by type, action id and callback
 * id. Unknown payload types get a 200 and a log line, malformed ones a 400; a failure inside is
 * logged and the user gets a generic apology.
 */
export const handleInteractionRequest = slackRoute<InteractionPayload, HttpResponse, InteractionRouteDeps>({
  kind: 'interaction',
  parse(form, request, deps) {
    let json: unknown;
    try {
      json = JSON.parse(form.payload ?? '');
    } catch {
      json = undefined;
    }
    const type = (json as { type?: unknown } | null | undefined)?.type;
    if (typeof type === 'string' && !handledTypes.has(type)) {
      deps.log.info('interaction type not handled', { type: type.slice(0, 64), requestId: request.requestId });
      return { ok: false, answer: { status: 200 } };
    }
    const parsed = interactionPayload.safeParse(json);
    if (parsed.success) return { ok: true, input: parsed.data, logFields: { interaction: parsed.data.type } };
    const fields = parsed.error.issues.slice(0, 10).map((i) => i.path.join('.').slice(0, 200));
    deps.log.warn('malformed interaction payload', { requestId: request.requestId, fields });
    return { ok: false, answer: jsonError(400, 'validation', 'Malformed interaction payload') };
  },
  handle: dispatch,
  answer: (response) => response,
  async failed(payload, databaseUnavailable, deps) {
    // Changes commit before anything that can fail after them, so "nothing was changed" is true.
    const apology = databaseUnavailable
      ? "CoffeeBuddy can't reach its database right now, so nothing was changed. Please try again in a minute."
      : 'Something went wrong on our side and nothing was changed. Please try again in a moment.';
    if (payload.type === 'view_submission') return { status: 200, body: { response_action: 'errors', errors: { drink: apology } } };
    if (payload.type === 'block_actions' && payload.response_url) {
      await deps.slack.respond(payload.response_url, { text: apology }).catch(() => undefined);
    }
    return { status: 200 };
  },
  async late(payload, _work, deps) {
    // Slack stops waiting at 3 s. The work goes on and a button's outcome is still told
    // ephemerally; a modal has to be answered now, without claiming an outcome we don't know yet.
    deps.log.warn('interaction slower than the ack deadline', { interaction: payload.type });
    if (payload.type !== 'view_submission') return { status: 200 };
    const slow =
      "This is taking longer than it should. If your order goes through you'll get a confirmation in the channel; if not, please try again in a minute.";
    return { status: 200, body: { response_action: 'errors', errors: { drink: slow } } };
  },
});

/** Route a validated payload by type to its handler; the answer to Slack. */
async function dispatch(payload: InteractionPayload, deps: InteractionRouteDeps): Promise<HttpResponse> {
  if (payload.type === 'block_actions') {
    await handleBlockAction(payload, deps);
    return { status: 200 };
  }
  if (payload.type === 'view_submission') {
    const response = await handleViewSubmission(payload, deps);
    return response ? { status: 200, body: response } : { status: 200 };
  }
  return { status: 200 };
}
