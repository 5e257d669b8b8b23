import { toAppError } from '../../shared/errors.ts';
import { jsonError, type HttpRequest, type HttpResponse } from '../../shared/http/types.ts';
import { assertFromSlack, parseForm } from '../../shared/slack/http.ts';
import { handleBlockAction, handleViewSubmission } from './handler.ts';
import type { InteractionDeps } from './orders.ts';
import { interactionPayload } from './schema.ts';

/**
 * `POST /slack/interactions`: Slack sends `payload=<json>` form-encoded, signed like commands
 * (https://api.slack.com/interactivity/handling#payloads). Verified on the raw body, validated,
 * routed by type, action id and callback id. Unknown payload types get a 200 and a log line,
 * malformed ones a 400; a failure inside is logged and the user gets a generic apology.
 */
export async function handleInteractionRequest(request: HttpRequest, deps: InteractionDeps): Promise<HttpResponse> {
  try {
    assertFromSlack(request, deps);
  } catch {
    return jsonError(401, 'unauthorized', 'Invalid Slack signature');
  }
  let json: unknown;
  try {
    json = JSON.parse(parseForm(request.rawBody).payload ?? '');
  } catch {
    json = undefined;
  }
  const type = (json as { type?: unknown } | undefined)?.type;
  if (typeof type === 'string' && !['block_actions', 'view_submission', 'view_closed'].includes(type)) {
    deps.log.info('interaction type not handled', { type, requestId: request.requestId });
    return { status: 200 };
  }
  const parsed = interactionPayload.safeParse(json);
  if (!parsed.success) {
    deps.log.warn('malformed interaction payload', { requestId: request.requestId, fields: parsed.error.issues.map((i) => i.path.join('.')) });
    return jsonError(400, 'validation', 'Malformed interaction payload');
  }
  const payload = parsed.data;
  const log = deps.log.child({ requestId: request.requestId, interaction: payload.type });
  try {
    if (payload.type === 'block_actions') {
      await handleBlockAction(payload, { ...deps, log });
      return { status: 200 };
    }
    if (payload.type === 'view_submission') {
      const response = await handleViewSubmission(payload, { ...deps, log });
      return response ? { status: 200, body: response } : { status: 200 };
    }
    return { status: 200 };
  } catch (error) {
    deps.metrics.errorsTotal.inc({ type: `interaction_${toAppError(error).code}` });
    log.error('interaction failed', { error });
    const apology = 'Something went wrong on our side and nothing was changed. Please try again in a moment.';
    if (payload.type === 'view_submission') {
      return { status: 200, body: { response_action: 'errors', errors: { drink: apology } } };
    }
    if (payload.type === 'block_actions' && payload.response_url) {
      await deps.slack.respond(payload.response_url, { text: apology }).catch(() => undefined);
    }
    return { status: 200 };
  }
}
