import { SpanKind } from '@opentelemetry/api';
import { isDatabaseUnavailable } from '../db/client.ts';
import { toAppError } from '../errors.ts';
import { firstHeader, jsonError, type HttpRequest, type HttpResponse } from '../http/types.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import { inSpan } from '../tracing.ts';
import { verifySlackRequest } from './verify-request.ts';

/** What every Slack route needs, whatever else its handler uses. */
export interface SlackIngressDeps {
  config: { SLACK_SIGNING_SECRET: string; SLACK_ACK_DEADLINE_MS: number };
  now: () => Date;
  log: Logger;
  metrics: Metrics;
}

/** A form Slack posted, parsed by the route: its input, or the answer that refuses it. */
export type SlackParse<T> = { ok: true; input: T; logFields: Record<string, unknown> } | { ok: false; answer: HttpResponse };

/**
 * One Slack request URL (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `parse` turns the verified form into the route's input, `handle` does the work and `answer`
 * makes its result Slack's reply. Verification (401), `ssl_check`, the error metric and log line,
 * the apology (`failed`) and the 3 s ack deadline (`late`) are the ingress's, the same for every
 * route.
 */
export interface SlackRoute<T, R, D extends SlackIngressDeps> {
  /** Metric and log prefix: errors count as `errors_total{type="<kind>_<code>"}`. */
  kind: string;
  parse(form: Record<string, string>, request: HttpRequest, deps: D): SlackParse<T>;
  handle(input: T, deps: D): Promise<R>;
  answer(result: R): HttpResponse;
  /** The result to give the user when `handle` failed; `databaseUnavailable` when the database is why. */
  failed(input: T, databaseUnavailable: boolean, deps: D): R | Promise<R>;
  /** Slack's answer when `handle` is still working at the deadline; `work` settles with its result (or `failed`'s). */
  late(input: T, work: Promise<R>, deps: D): Promise<HttpResponse>;
}

/** Marks a handler `slackRoute` built; nothing else can set it. */
const verifiesSignature: unique symbol = Symbol('verifies Slack signatures');

/**
 * The only kind of handler a Slack-facing route takes (`FunctionRoute.handle`): built by
 * `slackRoute`, so it checks Slack's signature before anything else, by construction.
 */
export type SlackHandler<D> = ((request: HttpRequest, deps: D) => Promise<HttpResponse>) & { readonly [verifiesSignature]: true };

/** Whether `handle` was built by `slackRoute` (the runtime refuses to serve a Slack route whose handler was not). */
export function isSlackHandler(handle: unknown): boolean {
  return typeof handle === 'function' && (handle as Partial<SlackHandler<never>>)[verifiesSignature] === true;
}

/** The HTTP handler for `route`: verify, parse, handle within the ack deadline, answer. */
export function slackRoute<T, R, D extends SlackIngressDeps>(route: SlackRoute<T, R, D>): SlackHandler<D> {
  const handle = async (request: HttpRequest, deps: D): Promise<HttpResponse> => {
    const refused = refuseUnlessFromSlack(request, deps);
    if (refused) return refused;
    const form = Object.fromEntries(new URLSearchParams(request.rawBody.toString('utf8')));
    // Slack's certificate check (signed `ssl_check=1`, no command or payload) wants an empty 200
    // and nothing done (https://api.slack.com/interactivity/slash-commands).
    if (form.ssl_check === '1') return { status: 200 };
    const parsed = route.parse(form, request, deps);
    if (!parsed.ok) return parsed.answer;
    // Kong may have started the trace; a request without a traceparent starts one.
    const span = { kind: SpanKind.SERVER, traceparent: request.headers.traceparent, attributes: { 'http.route': request.path } };
    return inSpan(`${request.method} ${request.path}`, span, async (ids) => {
      const log = deps.log.child({ requestId: request.requestId, ...ids, ...parsed.logFields });
      const scoped = { ...deps, log };
      const work = route.handle(parsed.input, scoped).catch((error: unknown) => {
        const unavailable = isDatabaseUnavailable(error);
        deps.metrics.errorsTotal.inc({ type: `${route.kind}_${unavailable ? 'database_unavailable' : toAppError(error).code}` });
        if (unavailable) log.warn('database unavailable; the user is asked to try again', { error });
        else log.error(`${route.kind} request failed`, { error });
        return route.failed(parsed.input, unavailable, scoped);
      });

      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<typeof late>((resolve) => {
        timer = setTimeout(() => resolve(late), deps.config.SLACK_ACK_DEADLINE_MS);
      });
      const first = await Promise.race([work, deadline]);
      clearTimeout(timer);
      return first === late ? route.late(parsed.input, work, scoped) : route.answer(first as R);
    });
  };
  return Object.assign(handle, { [verifiesSignature]: true as const });
}

const late: unique symbol = Symbol('late');

/** A 401 (counted and logged) unless the raw body carries Slack's valid signature; null when it does. */
function refuseUnlessFromSlack(request: HttpRequest, deps: SlackIngressDeps): HttpResponse | null {
  const result = verifySlackRequest({
    signingSecret: deps.config.SLACK_SIGNING_SECRET,
    rawBody: request.rawBody,
    timestampHeader: firstHeader(request.headers['x-slack-request-timestamp']),
    signatureHeader: firstHeader(request.headers['x-slack-signature']),
    now: deps.now(),
  });
  if (result.ok) return null;
  deps.metrics.errorsTotal.inc({ type: 'unauthorized' });
  deps.log.warn('slack request refused', { reason: result.reason, path: request.path, requestId: request.requestId });
  return jsonError(401, 'unauthorized', 'Invalid Slack signature');
}
