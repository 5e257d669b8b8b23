import { CloudEvent } from 'cloudevents';
import { AppError } from '../errors.ts';
import { eventCatalog, type EventData, type EventType } from './catalog.ts';

/**
 * A CoffeeBuddy CloudEvent (CloudEvents 1.0, https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md)
 * with JSON data. `correlationid` carries the run id so logs of one run line up; `partitionkey`
 * (the channel id) keeps one channel's events in order on the bus and in Kafka.
 */
export type CoffeeEvent<T extends EventType = EventType> = CloudEvent<EventData<T>> & { readonly data: EventData<T> };

/** What a producer supplies; id, time, source and spec version are filled in. */
export interface EventDraft<T extends EventType = EventType> {
  type: T;
  subject: string;
  partitionKey: string;
  correlationId: string;
  data: EventData<T>;
}

/** Build an immutable, validated CloudEvent from a draft. */
export function buildEvent<T extends EventType>(draft: EventDraft<T>, args: { id: string; source: string; time: Date; traceparent?: string }): CoffeeEvent<T> {
  const data = parseEventData(draft.type, draft.data);
  const event = new CloudEvent<EventData<T>>({
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
  return event as CoffeeEvent<T>;
}

/** Validate event data against the catalog; a mismatch is a poison event (`validation`). */
export function parseEventData<T extends EventType>(type: T, data: unknown): EventData<T> {
  const parsed = eventCatalog[type].safeParse(data);
  if (!parsed.success) {
    throw new AppError('validation', `Event data does not match ${type}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data as EventData<T>;
}

/** Event types whose data names a run and its channel: the events of a run's life. */
export type RunEventType = { [T in EventType]: EventData<T> extends { runId: string; slackChannelId: string } ? T : never }[EventType];

/**
 * A run's event: about the run (subject and correlation id: its logs and effects line up) and
 * ordered with its channel's other events (partition key), all read from its data.
 */
export function runEvent<T extends RunEventType>(type: T, data: EventData<T>): EventDraft<T> {
  const { runId, slackChannelId } = data as { runId: string; slackChannelId: string };
  return { type, subject: runId, partitionKey: slackChannelId, correlationId: runId, data };
}

/** Event types whose data names only a channel: its settings and reset. */
export type ChannelEventType = Exclude<{ [T in EventType]: EventData<T> extends { slackChannelId: string } ? T : never }[EventType], RunEventType>;

/** A channel's event: subject, correlation id and partition key are the channel. */
export function channelEvent<T extends ChannelEventType>(type: T, data: EventData<T>): EventDraft<T> {
  const { slackChannelId } = data as { slackChannelId: string };
  return { type, subject: slackChannelId, partitionKey: slackChannelId, correlationId: slackChannelId, data };
}
