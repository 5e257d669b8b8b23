/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) through Slack requests and event
 * deliveries, on `@opentelemetry/api` alone: without an SDK its spans record nothing, yet the trace
 * id still flows, from the incoming `traceparent` to every event written while handling it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  SpanStatusCode,
  TraceFlags,
  context,
  isValidSpanId,
  isValidTraceId,
  trace,
  type Attributes,
  type SpanContext,
  type SpanKind,
} from '@opentelemetry/api';

/** version-traceid-parentid-flags, lower-case hex; a later version may append `-…` fields. */
const traceparentFormat = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The span context a `traceparent` value names, or null when it names none (trace-context §3.2):
 * version `ff` is invalid, version 00 has exactly four fields, all-zero ids are invalid. Only the
 * sampled flag is kept.
 */
export function parseTraceparent(value: unknown): SpanContext | null {
  if (typeof value !== 'string') return null;
  const match = traceparentFormat.exec(value);
  if (!match) return null;
  const [, version, traceId = '', spanId = '', flags = '', more] = match;
  if (version === 'ff' || (version === '00' && more !== undefined)) return null;
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return null;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** The version-00 `traceparent` for a span context. */
export function formatTraceparent(span: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>): string {
  const flags = (span.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

/**
 * The span a request or delivery is handled in; what it emits names it as the parent. Kept here,
 * since the API's context manager carries nothing until an SDK registers one.
 */
const handling = new AsyncLocalStorage<SpanContext>();

/** The ids a request's or delivery's log lines carry. */
export type TraceIds = { traceId: string; spanId: string };

/**
 * Run `work` in an active span `name` whose parent is the span `traceparent` names (a new trace
 * when it names none). When no SDK records the span, the request gets a span id of its own under
 * the parent's trace id (or a new trace id), so its events and log lines still join up.
 */
export function inSpan<T>(
  name: string,
  options: { kind: SpanKind; traceparent: unknown; attributes?: Attributes },
  work: (ids: TraceIds) => Promise<T>,
): Promise<T> {
  const remote = parseTraceparent(options.traceparent);
  const parent = remote ? trace.setSpanContext(context.active(), remote) : context.active();
  const tracer = trace.getTracer('coffeebuddy');
  return tracer.startActiveSpan(name, { kind: options.kind, attributes: options.attributes ?? {} }, parent, async (span) => {
    const local: SpanContext = span.isRecording()
      ? span.spanContext()
      : { traceId: remote?.traceId ?? randomHex(16), spanId: randomHex(8), traceFlags: remote?.traceFlags ?? TraceFlags.NONE };
    try {
      return await handling.run(local, () => work({ traceId: local.traceId, spanId: local.spanId }));
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The `traceparent` for an event written now: the handling span as its parent; none outside one. */
export function currentTraceparent(): string | undefined {
  const span = handling.getStore();
  return span ? formatTraceparent(span) : undefined;
}

function randomHex(bytes: number): string {
  for (;;) {
    const id = randomBytes(bytes).toString('hex');
    if (/[^0]/.test(id)) return id;
  }
}
