import { HTTP } from 'cloudevents';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { buildEvent } from './cloud-event.ts';
import { fromHttp, toBinaryHttp } from './http-binding.ts';

const runId = '0b6c1a52-5c1e-4d8e-9a43-2f7f2f0d6a11';
const data = { runId, slackChannelId: 'C0001', requestedBySlackUserId: 'U0001' };
const event = buildEvent(
  {
    type: 'com.coffeebuddy.run.close_requested',
    subject: runId,
    partitionKey: 'C0001',
    correlationId: runId,
    data,
  },
  { id: 'evt-1', source: 'slash-command', time: new Date('2026-11-23T08:00:00Z') },
);
const binary = toBinaryHttp(event);
const structured = () => JSON.parse(String(HTTP.structured(event).body)) as Record<string, unknown>;
const structuredHeaders = { 'content-type': 'application/cloudevents+json; charset=utf-8' };

/** Binary mode with some headers replaced (undefined removes one). */
function withHeaders(changes: Record<string, string | undefined>, body = binary.body) {
  const headers: Record<string, string> = { ...binary.headers };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return () => fromHttp(headers, Buffer.from(body));
}

/** Structured mode with some members replaced (undefined removes one). */
function withMembers(changes: Record<string, unknown>) {
  const envelope = structured();
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete envelope[name];
    else envelope[name] = value;
  }
  return () => fromHttp(structuredHeaders, Buffer.from(JSON.stringify(envelope)));
}

function expectRefused(decode: () => unknown, message?: RegExp) {
  let thrown: unknown;
  try {
    decode();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(AppError);
  expect((thrown as AppError).code).toBe('validation');
  if (message) expect((thrown as AppError).message).toMatch(message);
}

describe('fromHttp: CloudEvents 1.0 over HTTP', () => {
  it('decodes our own binary and structured events', () => {
    for (const decoded of [fromHttp(binary.headers, Buffer.from(binary.body)), withMembers({})()]) {
      expect(decoded).toMatchObject({
        id: 'evt-1',
        type: 'com.coffeebuddy.run.close_requested',
        source: 'slash-command',
        subject: runId,
        time: '2026-11-23T08:00:00.000Z',
        correlationid: runId,
        partitionkey: 'C0001',
        data: { runId, slackChannelId: 'C0001', requestedBySlackUserId: 'U0001' },
      });
    }
  });

  it('takes what KafkaSource adds, data_base64, null members and percent-encoded header values', () => {
    const decoded = withHeaders({
      'ce-knativekafkapartition': '3',
      'ce-knativekafkaoffset': '1234',
      'ce-key': 'C0001',
      'ce-subject': `${runId}%20%E2%82%AC`,
    })();
    expect(decoded).toMatchObject({ knativekafkapartition: '3', knativekafkaoffset: '1234', key: 'C0001', subject: `${runId} €` });
    const base64 = withMembers({ data: undefined, data_base64: Buffer.from(JSON.stringify(event.data)).toString('base64'), dataschema: null })();
    expect(base64.data).toEqual(event.data);
    expect(withMembers({ comexampleflag: true, comexamplecount: -5 })()).toMatchObject({ comexampleflag: true, comexamplecount: -5 });
  });

  it('percent-encodes header values on the way out and decodes them on the way in', () => {
    const odd = buildEvent(
      { type: 'com.coffeebuddy.run.close_requested', subject: 'café "100%" ☕', partitionKey: 'C0001', correlationId: runId, data },
      { id: 'evt 2', source: 'slash-command', time: new Date('2026-11-23T08:00:00Z') },
    );
    const message = toBinaryHttp(odd);
    expect(message.headers['ce-subject']).toBe('caf%C3%A9%20%22100%25%22%20%E2%98%95');
    expect(message.headers['ce-id']).toBe('evt%202');
    expect(fromHttp(message.headers, Buffer.from(message.body))).toMatchObject({ id: 'evt 2', subject: 'café "100%" ☕' });
    expect(withHeaders({ 'ce-subject': '"quoted \\"value\\""' })().subject).toBe('quoted "value"');
  });

  it('requires specversion to be exactly "1.0"', () => {
    expectRefused(withHeaders({ 'ce-specversion': undefined }), /specversion attribute is required/);
    expectRefused(withHeaders({ 'ce-specversion': '0.3' }), /specversion 1.0/);
    expectRefused(withHeaders({ 'ce-specversion': '1.1' }), /specversion 1.0/);
    expectRefused(withMembers({ specversion: 1 }), /specversion 1.0/);
  });

  it('requires a non-empty id of at most 256 characters', () => {
    expectRefused(withHeaders({ 'ce-id': undefined }), /id attribute is required/);
    expectRefused(withHeaders({ 'ce-id': '' }), /id attribute must not be empty/);
    expectRefused(withHeaders({ 'ce-id': 'x'.repeat(3200) }), /longer than 256/);
    expect(withHeaders({ 'ce-id': 'x'.repeat(256) })().id).toHaveLength(256);
    expectRefused(withMembers({ id: 42 }), /id attribute must be a string/);
  });

  it('requires a non-empty URI-reference source', () => {
    expectRefused(withHeaders({ 'ce-source': undefined }), /source attribute is required/);
    expectRefused(withHeaders({ 'ce-source': 'two%20words' }), /URI-reference/);
    expectRefused(withHeaders({ 'ce-source': `/x/${'a'.repeat(1100)}` }), /longer than 1024/);
    expect(withHeaders({ 'ce-source': '/apis/v1/namespaces/coffee/kafkasources/run-events#coffeebuddy.run.events' })().source).toContain('#');
  });

  it('refuses unknown types and a missing type', () => {
    expectRefused(withHeaders({ 'ce-type': 'dev.knative.kafka.event' }), /Unknown event type/);
    expectRefused(withHeaders({ 'ce-type': undefined }), /type attribute is required/);
  });

  it('accepts only RFC 3339 times, and normalises them', () => {
    for (const time of ['yesterday', '2026-02-30T08:00:00Z', '2026-11-23T24:00:00Z', '2026-11-23 08:00:00Z', '2026-11-23T08:00:00', '1700000000']) {
      expectRefused(withHeaders({ 'ce-time': time }), /RFC 3339/);
    }
    expect(withHeaders({ 'ce-time': '2026-11-23t09:30:00.5+01:00' })().time).toBe('2026-11-23T08:30:00.500Z');
    expect(withHeaders({ 'ce-time': '2016-12-31T23:59:60Z' })().time).toBe('2016-12-31T23:59:59.000Z');
    expect(withHeaders({ 'ce-time': '2028-02-29T00:00:00Z' })().time).toBe('2028-02-29T00:00:00.000Z');
  });

  it('bounds subject and extensions, and allows only CloudEvents types in them', () => {
    expectRefused(withHeaders({ 'ce-subject': '' }), /subject attribute must not be empty/);
    expectRefused(withHeaders({ 'ce-subject': 's'.repeat(257) }), /longer than 256/);
    expectRefused(withHeaders({ 'ce-correlationid': 'c'.repeat(1025) }), /correlationid attribute is longer than 1024 bytes/);
    expectRefused(withHeaders({ 'ce-foo_bar': 'x' }), /not a CloudEvents attribute name/);
    expectRefused(withHeaders({ [`ce-${'a'.repeat(65)}`]: 'x' }), /not a CloudEvents attribute name/);
    expectRefused(withHeaders({ 'ce-data': 'x' }), /reserved/);
    expectRefused(withHeaders({ 'ce-datacontenttype': 'application/json' }), /binary mode/);
    expectRefused(withMembers({ comexample: { nested: true } }), /String, Integer or Boolean/);
    expectRefused(withMembers({ comexample: 1.5 }), /Integer/);
    expectRefused(withMembers({ comexample: 2 ** 31 }), /Integer/);
    expectRefused(withMembers({ schemaurl: 'https://example.com/s' }), /reserved/);
  });

  it('refuses control characters, lone surrogates, bad escapes and raw non-ASCII in attributes', () => {
    expectRefused(withHeaders({ 'ce-subject': 'a%00b' }), /may not contain/);
    expectRefused(withHeaders({ 'ce-partitionkey': '%0A' }), /may not contain/);
    expectRefused(withHeaders({ 'ce-subject': '%C0%A0' }), /not UTF-8/);
    expectRefused(withHeaders({ 'ce-subject': '%ED%A0%80' }), /not UTF-8/);
    expectRefused(withHeaders({ 'ce-subject': '100%' }), /percent-encoding/);
    expectRefused(withHeaders({ 'ce-subject': 'caf\u00e9' }), /printable ASCII/);
    expectRefused(withMembers({ subject: '\ud800' }), /may not contain/);
    expectRefused(withMembers({ comexample: 'x\u0000' }), /may not contain/);
    expectRefused(withMembers({ comexample: '\ufffe' }), /may not contain/);
  });

  it('requires JSON data that matches the schema and can be stored', () => {
    expectRefused(withHeaders({}, 'not json'), /not JSON/);
    expectRefused(withHeaders({}, ''), /no data/);
    expectRefused(withHeaders({ 'content-type': 'text/plain' }), /must be JSON/);
    expectRefused(withHeaders({}, JSON.stringify({ ...event.data, runId: 'nope' })), /does not match/);
    expectRefused(withHeaders({}, JSON.stringify({ ...event.data, requestedBySlackUserId: 'U\u0000' })), /cannot be stored/);
    expectRefused(withHeaders({}, JSON.stringify({ ...event.data, requestedBySlackUserId: '\udc00' })), /cannot be stored/);
    expectRefused(withHeaders({}, JSON.stringify({ ...event.data, slackChannelId: 'C'.repeat(3000) })), /longer than 2048 bytes/);
    expectRefused(() => fromHttp(binary.headers, Buffer.from([0x7b, 0xff, 0x7d])), /UTF-8/);
    expectRefused(withMembers({ data_base64: 'e30=' }), /mutually exclusive/);
    expectRefused(withMembers({ data: JSON.stringify(event.data) }), /does not match/);
  });

  it('refuses batches, other formats and requests that are no CloudEvent at all', () => {
    expectRefused(() => fromHttp({ 'content-type': 'application/cloudevents-batch+json' }, Buffer.from('[]')), /Batched/);
    expectRefused(() => fromHttp({ 'content-type': 'application/cloudevents+xml' }, Buffer.from('<e/>')), /JSON event format/);
    expectRefused(() => fromHttp({ 'content-type': 'application/json' }, Buffer.from('{}')), /Not a CloudEvent/);
    expectRefused(() => fromHttp(structuredHeaders, Buffer.from('[1]')), /JSON object/);
    expectRefused(() => fromHttp(structuredHeaders, Buffer.from('{"__proto__":{"id":"x"}}')), /attribute name/);
  });

  it('answers anything with an event or a validation error, never another error', () => {
    const attribute = fc.oneof(
      fc.constantFrom('specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'correlationid'),
      fc.string({ maxLength: 24 }),
    );
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('1.0', 'com.coffeebuddy.run.close_requested', '2026-11-23T08:00:00Z', '%00', '%ff', '"q\\"uoted"'),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const envelope = fc.dictionary(attribute, value, { maxKeys: 10 });
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
    const headers = fc.dictionary(
      attribute.map((name) => `ce-${name}`),
      printable,
      { maxKeys: 10 },
    );
    const body = fc.oneof(fc.json(), fc.string({ unit: 'binary' }), fc.constant(JSON.stringify(event.data)));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ headers: fc.constant(structuredHeaders), body: envelope.map((e) => JSON.stringify({ data: event.data, ...e })) }),
          fc.record({ headers: headers.map((h) => ({ ...binary.headers, ...h })), body }),
          fc.record({ headers, body }),
        ),
        (request) => {
          try {
            fromHttp(request.headers, Buffer.from(request.body));
          } catch (error) {
            expect(error).toBeInstanceOf(AppError);
            expect((error as AppError).code).toBe('validation');
          }
        },
      ),
      { seed: 8, numRuns: 3000 },
    );
  });
});
