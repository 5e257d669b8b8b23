import { CloudEvent, HTTP, type CloudEventV1 } from 'cloudevents';
import { AppError } from '../errors.ts';
import { eventCatalog, isEventType, type EventData, type EventType } from './catalog.ts';

/**
 * A CoffeeBuddy CloudEvent (CloudEvents 1.0, https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md)
 * with JSON data. `correlationid` carries the run id so logs of one run line up; `partitionkey`
 * (the channel id) keeps one channel's events in order on the bus and in Kafka.
 */
export type CoffeeEvent<T extends EventType = EventType> = CloudEvent<EventData<T>>;

/** What a producer supplies; id, time, source and spec version are filled in. */
export interface EventDraft<T extends EventType = EventType> {
  type: T;
  subject: string;
  partitionKey: string;
  correlationId: string;
  data: EventData<T>;
}

/** Build an immutable, validated CloudEvent from a draft. */
export function buildEvent<T extends EventType>(
  draft: EventDraft<T>,
  args: { id: string; source: string; time: Date; traceparent?: string },
): CoffeeEvent<T> {
  const data = parseEventData(draft.type, draft.data) as EventData<T>;
  return new CloudEvent<EventData<T>>({
    id: args.id,
    type: draft.type,
    source: args.source,
    subject: draft.subject,
    time: args.time.toISOString(),
    datacontenttype: 'application/json',
    data,
    correlationid: draft.correlationId,
    partitionkey: draft.partitionKey,
    ...(args.traceparent ? { traceparent: args.traceparent } : {}),
  });
}

/** Validate event data against the catalog; a mismatch is a poison event (`validation`). */
export function parseEventData<T extends EventType>(type: T, data: unknown): EventData<T> {
  const parsed = eventCatalog[type].safeParse(data);
  if (!parsed.success) {
    throw new AppError('validation', `Event data does not match ${type}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data as EventData<T>;
}

/** Encode an event as an HTTP binary-mode message (`ce-*` headers, JSON body), as KafkaSource delivers. */
export function toBinaryHttp(event: CloudEventV1<unknown>): { headers: Record<string, string>; body: string } {
  const message = HTTP.binary(event);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  const body = typeof message.body === 'string' ? message.body : JSON.stringify(message.body);
  return { headers, body };
}

/**
 * Decode an incoming HTTP request into one of our events, validated: anything else is a
 * `validation` error (answered 400, which KafkaSource sends straight to the dead-letter sink).
 */
export function fromHttp(headers: Record<string, string | string[] | undefined>, body: Buffer): CoffeeEvent {
  let decoded: CloudEventV1<unknown> | CloudEventV1<unknown>[];
  try {
    decoded = HTTP.toEvent({ headers, body: body.toString('utf8') });
  } catch (error) {
    throw new AppError('validation', 'Not a valid CloudEvent', { cause: error });
  }
  if (Array.isArray(decoded)) throw new AppError('validation', 'Batched CloudEvents are not accepted');
  if (!isEventType(decoded.type)) throw new AppError('validation', `Unknown event type ${decoded.type}`);
  const data = parseEventData(decoded.type, typeof decoded.data === 'string' ? safeJson(decoded.data) : decoded.data);
  return new CloudEvent({ ...decoded, data }, false) as CoffeeEvent;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('validation', 'Event data is not JSON');
  }
}
