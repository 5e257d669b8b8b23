import { afterEach, describe, expect, it } from 'vitest';
import { SpanKind, trace, type Span, type SpanContext, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { currentTraceparent, formatTraceparent, inSpan, parseTraceparent } from './tracing.ts';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';
const valid = `00-${traceId}-${spanId}-01`;

describe('parseTraceparent', () => {
  it('reads a version-00 traceparent as a remote span context', () => {
    expect(parseTraceparent(valid)).toEqual({ traceId, spanId, traceFlags: 1, isRemote: true });
    expect(parseTraceparent(`00-${traceId}-${spanId}-00`)?.traceFlags).toBe(0);
  });

  it('keeps only the sampled flag', () => {
    expect(parseTraceparent(`00-${traceId}-${spanId}-ff`)?.traceFlags).toBe(1);
    expect(parseTraceparent(`00-${traceId}-${spanId}-02`)?.traceFlags).toBe(0);
  });

  it('reads a later version, with or without fields after the flags', () => {
    expect(parseTraceparent(`cc-${traceId}-${spanId}-01`)?.traceId).toBe(traceId);
    expect(parseTraceparent(`cc-${traceId}-${spanId}-01-what-the-future-holds`)?.spanId).toBe(spanId);
  });

  it.each([
    ['version ff', `ff-${traceId}-${spanId}-01`],
    ['extra fields in version 00', `00-${traceId}-${spanId}-01-extra`],
    ['a trailing dash in version 00', `00-${traceId}-${spanId}-01-`],
    ['a later version glued to more text', `cc-${traceId}-${spanId}-01extra`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${spanId}-01`],
    ['an all-zero span id', `00-${traceId}-${'0'.repeat(16)}-01`],
    ['an upper-case trace id', `00-${traceId.toUpperCase()}-${spanId}-01`],
    ['an upper-case span id', `00-${traceId}-${spanId.toUpperCase()}-01`],
    ['an upper-case version', `0A-${traceId}-${spanId}-01`],
    ['upper-case flags', `00-${traceId}-${spanId}-0A`],
    ['a short trace id', `00-${traceId.slice(1)}-${spanId}-01`],
    ['a long span id', `00-${traceId}-${spanId}0-01`],
    ['a one-digit version', `0-${traceId}-${spanId}-01`],
    ['other delimiters', `00_${traceId}_${spanId}_01`],
    ['surrounding spaces', ` ${valid} `],
    ['two values joined', `${valid}, ${valid}`],
    ['the empty string', ''],
  ])('refuses %s', (_what, value) => {
    expect(parseTraceparent(value)).toBeNull();
  });

  it('refuses what is not a string', () => {
    expect(parseTraceparent(undefined)).toBeNull();
    expect(parseTraceparent([valid])).toBeNull();
    expect(parseTraceparent(1)).toBeNull();
  });
});

describe('formatTraceparent', () => {
  it('writes version 00 and round-trips through the parser', () => {
    expect(formatTraceparent({ traceId, spanId, traceFlags: 1 })).toBe(valid);
    expect(formatTraceparent({ traceId, spanId, traceFlags: 0 })).toBe(`00-${traceId}-${spanId}-00`);
    expect(formatTraceparent(parseTraceparent(valid)!)).toBe(valid);
  });

  it('writes only the sampled flag', () => {
    expect(formatTraceparent({ traceId, spanId, traceFlags: 0xff })).toBe(valid);
  });
});

describe('inSpan without an SDK', () => {
  const kind = SpanKind.SERVER;

  it('continues the incoming trace under a span id of its own, and events written in it name that span', async () => {
    const seen = await inSpan('test', { kind, traceparent: valid }, async (ids) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { ids, traceparent: currentTraceparent() };
    });
    expect(seen.ids.traceId).toBe(traceId);
    expect(seen.ids.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(seen.ids.spanId).not.toBe(spanId);
    expect(seen.traceparent).toBe(`00-${traceId}-${seen.ids.spanId}-01`);
  });

  it('starts a new, unsampled trace when there is no valid traceparent', async () => {
    const [first, second] = await Promise.all(
      [undefined, `00-${'0'.repeat(32)}-${spanId}-01`].map((traceparent) =>
        inSpan('test', { kind, traceparent }, async (ids) => ({ ids, traceparent: currentTraceparent() })),
      ),
    );
    for (const seen of [first!, second!]) {
      expect(seen.traceparent).toBe(`00-${seen.ids.traceId}-${seen.ids.spanId}-00`);
      expect(parseTraceparent(seen.traceparent)).not.toBeNull();
    }
    expect(first!.ids.traceId).not.toBe(second!.ids.traceId);
  });

  it('names no parent outside a span, and passes the work’s failure on', async () => {
    expect(currentTraceparent()).toBeUndefined();
    await expect(inSpan('test', { kind, traceparent: valid }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(currentTraceparent()).toBeUndefined();
  });
});

describe('inSpan with a recording SDK', () => {
  afterEach(() => trace.disable());

  it('uses the SDK span, started under the incoming parent, and ends it with the error recorded', async () => {
    const recorded: { name: string; parent: SpanContext | undefined; kind: SpanKind | undefined; events: string[] }[] = [];
    const own: SpanContext = { traceId, spanId: '1111111111111111', traceFlags: 1 };
    const tracer = {
      startActiveSpan(name: string, options: { kind?: SpanKind }, parent: Parameters<typeof trace.getSpanContext>[0], fn: (span: Span) => unknown) {
        const entry = { name, parent: trace.getSpanContext(parent), kind: options.kind, events: [] as string[] };
        recorded.push(entry);
        const span = {
          isRecording: () => true,
          spanContext: () => own,
          recordException: (error: Error) => entry.events.push(`exception ${error.message}`),
          setStatus: ({ code }: { code: number }) => entry.events.push(`status ${code}`),
          end: () => entry.events.push('end'),
        };
        return fn(span as unknown as Span);
      },
    } as unknown as Tracer;
    trace.setGlobalTracerProvider({ getTracer: () => tracer } as TracerProvider);

    const seen = await inSpan('POST /slack/commands', { kind: SpanKind.SERVER, traceparent: valid }, async (ids) => ({
      ids,
      traceparent: currentTraceparent(),
    }));
    expect(seen).toEqual({ ids: { traceId, spanId: own.spanId }, traceparent: `00-${traceId}-${own.spanId}-01` });
    await expect(inSpan('failing', { kind: SpanKind.CONSUMER, traceparent: undefined }, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    expect(recorded).toEqual([
      { name: 'POST /slack/commands', parent: { traceId, spanId, traceFlags: 1, isRemote: true }, kind: SpanKind.SERVER, events: ['end'] },
      { name: 'failing', parent: undefined, kind: SpanKind.CONSUMER, events: ['exception boom', 'status 2', 'end'] },
    ]);
  });
});
