import { describe, expect, it } from 'vitest';
import { consumerOf, readDeadLetter } from './dead-letter-intake.ts';

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('reading a dead letter as the dead-letter topic’s KafkaSource delivers it', () => {
  it('takes why it failed from Knative’s extensions and keeps the rest of the event as delivered', () => {
    const letter = readDeadLetter(
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'e1',
        'ce-source': 'slash-command',
        'ce-type': 'com.coffeebuddy.run.created',
        'ce-subject': 'run%201',
        'ce-partitionkey': 'C1',
        'ce-knativeerrorcode': '422',
        'ce-knativeerrordest': 'http://close-run.coffeebuddy.svc.cluster.local/events/close-run',
        'ce-knativeerrordata': base64('{"error":"internal","message":"The event cannot be processed"}'),
      },
      Buffer.from('{"runId":"r1"}'),
      5,
    );
    expect(letter).toEqual({
      consumer: 'close-run',
      eventId: 'e1',
      type: 'com.coffeebuddy.run.created',
      source: 'slash-command',
      subject: 'run 1',
      attributes: {
        specversion: '1.0',
        id: 'e1',
        source: 'slash-command',
        type: 'com.coffeebuddy.run.created',
        subject: 'run 1',
        partitionkey: 'C1',
        datacontenttype: 'application/json',
      },
      data: { runId: 'r1' },
      statusCode: 422,
      error: '{"error":"internal","message":"The event cannot be processed"}',
      // 422 is not retried: one attempt.
      attempts: 1,
    });
  });

  it('counts the retries for a status KafkaSource retries, and says so when there was no answer', () => {
    const headers = { 'ce-id': 'e2', 'ce-type': 't', 'ce-source': 's' };
    expect(readDeadLetter({ ...headers, 'ce-knativeerrorcode': '503' }, Buffer.alloc(0), 5)).toMatchObject({
      statusCode: 503,
      error: 'sink answered 503',
      attempts: 6,
      data: null,
      consumer: 'unknown',
    });
    expect(readDeadLetter({ ...headers, 'ce-knativeerrorcode': '0' }, Buffer.alloc(0), 5)).toMatchObject({
      statusCode: null,
      error: expect.stringContaining('did not answer'),
      attempts: 6,
    });
  });

  it('parks what is not a valid CloudEvent as far as it can be stored', () => {
    const raw = readDeadLetter({ 'content-type': 'text/plain' }, Buffer.from('hello\u0000\xff'), 5);
    expect(raw).toMatchObject({ type: 'unknown', source: 'unknown', consumer: 'unknown', subject: null, attributes: {}, data: 'hello\ufffd\u00ff' });
    expect(raw.eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The same body is the same id, so a redelivery is still one row.
    expect(readDeadLetter({}, Buffer.from('hello\u0000\xff'), 5).eventId).toBe(raw.eventId);

    const wrapped = readDeadLetter(
      { 'ce-id': 'partition:0/offset:7', 'ce-type': 'dev.knative.kafka.event', 'ce-source': 'x', 'ce-bad': '%E0%A4%A', 'content-type': 'application/json' },
      Buffer.from('{"a":"\\u0000"}'),
      5,
    );
    expect(wrapped).toMatchObject({ eventId: 'partition:0/offset:7', type: 'dev.knative.kafka.event', data: '{"a":"\\u0000"}' });
    expect(wrapped.attributes.bad).toBe('%E0%A4%A');
    expect(readDeadLetter({ 'ce-id': 'i'.repeat(300), 'ce-type': 't', 'ce-source': 's' }, Buffer.alloc(0), 5).eventId).toHaveLength(256);
  });

  it('reads structured mode too', () => {
    const envelope = { specversion: '1.0', id: 'e3', source: 's', type: 't', knativeerrorcode: '400', data_base64: base64('{"x":1}') };
    const letter = readDeadLetter({ 'content-type': 'application/cloudevents+json' }, Buffer.from(JSON.stringify(envelope)), 5);
    expect(letter).toMatchObject({ eventId: 'e3', statusCode: 400, attempts: 1, data: { x: 1 }, attributes: { specversion: '1.0', id: 'e3' } });
    expect(letter.attributes).not.toHaveProperty('knativeerrorcode');
  });

  it.each([
    ['http://reminder-due.coffeebuddy.svc.cluster.local/events/reminder-due', 'reminder-due'],
    ['http://127.0.0.1:8080/events/admin/', 'admin'],
    ['http://fake.svc.cluster.local', 'http://fake.svc.cluster.local'],
    ['/events/close-run', 'close-run'],
    ['', 'unknown'],
    [undefined, 'unknown'],
  ])('names the consumer of %s as %s', (destination, consumer) => {
    expect(consumerOf(destination)).toBe(consumer);
  });
});
