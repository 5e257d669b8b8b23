import { createHash } from 'node:crypto';
import type { Pool } from '../db/client.ts';
import { jsonError, type HttpRequest, type HttpResponse } from '../http/types.ts';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import { isStorableText } from '../text.ts';
import { parkEvent } from './dead-letters.ts';
import type { ParkedEvent } from './undelivered.ts';
import { defaultRetryPolicy, isRetryableStatus } from './delivery.ts';

/**
 * The extensions Knative attaches to an event it dead-letters (knative eventing's
 * `KnativeErrorTransformers`, and eventing-kafka-broker's dispatcher alike): the status the sink
 * answered, the sink's URL, and the start of the sink's response body in Base64.
 */
const knativeErrorExtensions = ['knativeerrorcode', 'knativeerrordest', 'knativeerrordata'] as const;

/** What a dead letter is parked under when it does not say whose delivery failed. */
const unknownConsumer = 'unknown';

// Bounds that keep the parked key (consumer, source, event_id) a valid btree index entry.
const limits = { id: 256, type: 256, source: 1024, subject: 256, consumer: 256, error: 1000 } as const;

const lenientUtf8 = new TextDecoder('utf-8');

/**
 * Read one dead letter as a KafkaSource on the dead-letter topic delivers it, without refusing
 * anything: whatever a consumer could not take is exactly what an operator must see, so an event
 * that is not a valid CloudEvent (a raw record the source wrapped as `dev.knative.kafka.event`,
 * bad attributes, data that is not JSON, no CloudEvent at all) is parked as received, as far as it
 * can be stored. Binary mode (`ce-*` headers, what KafkaSource sends) and structured mode are read.
 *
 * Why it failed comes from Knative's extensions: the status from `knativeerrorcode`, the error text
 * from `knativeerrordata`, and the consumer from `knativeerrordest` (the sink URL's
 * `/events/<function>` path). Knative does not say how many attempts were made: `retries` is what
 * the failed delivery's KafkaSource allowed, so a status it retries means `retries + 1` attempts
 * and any other status one.
 */
export function readDeadLetter(headers: Record<string, string | string[] | undefined>, body: Buffer, retries: number): ParkedEvent {
  const contentType = headerValue(headers['content-type']);
  const envelope = isStructured(contentType) ? readStructured(body) : null;
  const attributes = envelope?.attributes ?? readBinaryAttributes(headers, contentType);
  const data = envelope ? envelope.data : readData(body, contentType);
  const statusCode = parseStatus(attributes.knativeerrorcode);
  const error = errorText(attributes.knativeerrordata, statusCode);
  const consumer = consumerOf(attributes.knativeerrordest);
  for (const name of knativeErrorExtensions) delete attributes[name];
  const text = (name: string) => (typeof attributes[name] === 'string' && attributes[name] !== '' ? attributes[name] : undefined);
  return {
    consumer,
    // Without an id (not a CloudEvent) the body stands for it, so a redelivery is still one row.
    eventId: clip(text('id') ?? `sha256:${createHash('sha256').update(body).digest('hex')}`, limits.id),
    type: clip(text('type') ?? 'unknown', limits.type),
    source: clip(text('source') ?? 'unknown', limits.source),
    subject: text('subject') === undefined ? null : clip(text('subject')!, limits.subject),
    attributes,
    data,
    statusCode,
    error,
    attempts: statusCode !== null && !isRetryableStatus(statusCode) ? 1 : retries + 1,
  };
}

/**
 * The adapter of `POST /events/dead-letters` (its bearer token is checked before): park the dead
 * letter once however often it is delivered. 200 when parked or already parked; 503 when it cannot
 * be stored now, which its KafkaSource retries. Nothing is refused: a 4xx would drop it. A run the
 * letter leaves stuck counts in `coffeebuddy_runs_total{status="failed"}`.
 */
export async function receiveDeadLetter(request: HttpRequest, deps: { sql: Pool; log: Logger; metrics: Metrics; now: () => Date }): Promise<HttpResponse> {
  let log = deps.log;
  try {
    // Every KafkaSource that dead-letters delivers with the default policy (scripts/manifests/kafka-source.ts).
    const letter = readDeadLetter(request.headers, request.rawBody, defaultRetryPolicy.retries);
    log = deps.log.child({ eventId: letter.eventId, eventType: letter.type, consumer: letter.consumer });
    const { result, stuckRun } = await parkEvent(deps.sql, letter, deps.now());
    if (result === 'parked') {
      log.warn('dead letter parked for an operator', { statusCode: letter.statusCode, error: letter.error });
      // In a cluster KafkaSource dead-letters, so this is where CoffeeBuddyEventsDeadLettered counts them.
      deps.metrics.eventsDeadLetteredTotal.inc({ consumer: letter.consumer });
    } else log.info('dead letter already parked');
    if (stuckRun) {
      deps.metrics.runsTotal.inc({ status: 'failed' });
      log.warn('run stuck until the dead letter is replayed', { ...stuckRun });
    }
    return { status: 200, body: { status: result } };
  } catch (error) {
    log.error('dead letter could not be parked; its KafkaSource retries', { error });
    return jsonError(503, 'unavailable', 'The dead letter cannot be stored right now');
  }
}

/** The consumer whose delivery failed: `/events/<function>` of the sink URL, else the URL itself. */
export function consumerOf(destination: unknown): string {
  if (typeof destination !== 'string' || destination === '') return unknownConsumer;
  let path = '';
  try {
    path = new URL(destination).pathname;
  } catch {
    path = destination;
  }
  const name = /^\/events\/([a-z0-9-]+)\/?$/.exec(path)?.[1];
  return clip(name ?? destination, limits.consumer);
}

function parseStatus(code: unknown): number | null {
  const status = typeof code === 'string' && /^\d{3}$/.test(code) ? Number(code) : null;
  return status !== null && status >= 100 ? status : null;
}

function errorText(data: unknown, statusCode: number | null): string {
  const decoded = typeof data === 'string' ? storable(lenientUtf8.decode(Buffer.from(data, 'base64'))).trim() : '';
  if (decoded) return clip(decoded, limits.error);
  return statusCode === null ? 'undeliverable: the sink did not answer (unreachable or timed out)' : `sink answered ${statusCode}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function isStructured(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/cloudevents+json';
}

/** HTTP binding §3.1: `ce-*` headers, percent-decoded where they decode (§3.1.3.2), as they came otherwise. */
function readBinaryAttributes(headers: Record<string, string | string[] | undefined>, contentType: string | undefined): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const [header, raw] of Object.entries(headers)) {
    const value = headerValue(raw);
    if (!header.toLowerCase().startsWith('ce-') || value === undefined) continue;
    attributes[header.slice(3).toLowerCase()] = storable(percentDecoded(value));
  }
  if (contentType !== undefined && Object.keys(attributes).length > 0) attributes.datacontenttype = contentType;
  return attributes;
}

function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** JSON format §3: every member but `data` / `data_base64` is an attribute. Null when the body is no JSON object. */
function readStructured(body: Buffer): { attributes: Record<string, unknown>; data: unknown } | null {
  const envelope = parseJson(lenientUtf8.decode(body));
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) return null;
  const { data, data_base64: base64, ...rest } = envelope as Record<string, unknown>;
  const attributes = Object.fromEntries(Object.entries(rest).map(([name, value]) => [name, typeof value === 'string' ? storable(value) : value]));
  if (typeof base64 === 'string') return { attributes, data: readData(Buffer.from(base64, 'base64'), undefined) };
  return { attributes, data: data === undefined || !isStorableJson(data) ? null : data };
}

/** The data as JSON where it is JSON Postgres can store, else as text (bytes that are not UTF-8 become U+FFFD). */
function readData(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return null;
  const text = lenientUtf8.decode(body);
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  const json = mediaType === undefined || /[/+]json$/.test(mediaType) ? parseJson(text) : undefined;
  return json !== undefined && isStorableJson(json) ? json : storable(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** jsonb refuses what `text` refuses (NUL, lone surrogates), in keys as in values. */
function isStorableJson(value: unknown): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (typeof value !== 'object' || value === null) return true;
  return Object.entries(value).every(([key, item]) => isStorableText(key) && isStorableJson(item));
}

/** Text Postgres can store: NUL and lone surrogates replaced by U+FFFD. */
function storable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what Postgres cannot store in text
  return isStorableText(text) ? text : text.replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** At most `max` UTF-16 units, still storable (a cut through a surrogate pair leaves U+FFFD). */
function clip(text: string, max: number): string {
  return text.length > max ? storable(text.slice(0, max)) : text;
}
