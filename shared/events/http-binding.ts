import { CloudEvent, HTTP, type CloudEventV1 } from 'cloudevents';
import { AppError } from '../errors.ts';
import { isStorableText } from '../text.ts';
import { isEventType, type EventType } from './catalog.ts';
import { parseEventData, type CoffeeEvent } from './cloud-event.ts';

/**
 * Encode an event as an HTTP binary-mode message (`ce-*` headers, JSON body), as KafkaSource
 * delivers. Header values are percent-encoded as the HTTP binding §3.1.3.2 asks (the SDK does not),
 * so that {@link fromHttp} reads back exactly what was sent.
 */
export function toBinaryHttp(event: CloudEventV1<unknown>): { headers: Record<string, string>; body: string } {
  const message = HTTP.binary(event);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    headers[name] = name.startsWith('ce-') ? percentEncode(text) : text;
  }
  const body = typeof message.body === 'string' ? message.body : JSON.stringify(message.body);
  return { headers, body };
}

/**
 * Decode an incoming HTTP request into one of our events, validated before anything touches the
 * database: anything else is a `validation` error (answered 400, which KafkaSource sends straight
 * to the dead-letter sink instead of retrying it). Binary mode (`ce-*` headers, what KafkaSource
 * sends) and structured mode (`application/cloudevents+json`) are accepted; batches are not.
 * Follows CloudEvents 1.0.2 (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md),
 * its HTTP binding (…/bindings/http-protocol-binding.md) and JSON format (…/formats/json-format.md).
 *
 * With `wanted`, an event of one of our types that the caller does not consume is answered `null`
 * with its data unread: a KafkaSource delivers every record on its topics, and data one function
 * would refuse is poison to its consumer only (else each function on the topic would park it).
 */
export function fromHttp(headers: Record<string, string | string[] | undefined>, body: Buffer): CoffeeEvent;
export function fromHttp(headers: Record<string, string | string[] | undefined>, body: Buffer, wanted: (type: EventType) => boolean): CoffeeEvent | null;
export function fromHttp(headers: Record<string, string | string[] | undefined>, body: Buffer, wanted?: (type: EventType) => boolean): CoffeeEvent | null {
  const message = readMessage(headers, body);
  const attributes = checkAttributes(message.attributes);
  if (!isEventType(attributes.type)) throw invalid(`Unknown event type ${clip(attributes.type)}`);
  if (wanted && !wanted(attributes.type)) return null;
  const data = parseEventData(attributes.type, readData(message.data, attributes.datacontenttype));
  checkStorable(data);
  try {
    return new CloudEvent({ ...attributes, data }, false) as CoffeeEvent;
  } catch (error) {
    // The SDK refuses a few names of its own (e.g. a 0.3 `schemaurl` on a 1.0 event).
    throw new AppError('validation', 'Not a valid CloudEvent', { cause: error });
  }
}

/**
 * Our limits where the spec leaves sizes to the application (spec §Size Limits: an event of up to
 * 64 KB must get through; the body limit enforces the total). Each keeps a value small enough for
 * a btree index entry (at most ~2.7 KB), since ids, subjects and correlation ids are indexed.
 */
export const cloudEventLimits = {
  idChars: 256,
  sourceChars: 1024,
  typeChars: 256,
  subjectChars: 256,
  attributeNameChars: 64,
  extensionValueBytes: 1024,
  dataStringBytes: 2048,
} as const;

type Attributes = Map<string, unknown>;
type RawData = { kind: 'none' } | { kind: 'text'; text: string } | { kind: 'value'; value: unknown };

/** The checked attributes: core ones typed, extensions as they came. */
interface CheckedAttributes {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  [extension: string]: string | number | boolean | undefined;
}

function invalid(message: string): AppError {
  return new AppError('validation', message);
}

/** A value for an error message: short, so a 60 KB attribute does not become a 60 KB log line. */
function clip(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalid('The body is not valid UTF-8');
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`${what} is not JSON`);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** HTTP binding §3: structured if the Content-Type is a CloudEvents format, else binary. */
function readMessage(headers: Record<string, string | string[] | undefined>, body: Buffer): { attributes: Attributes; data: RawData } {
  const contentType = headerValue(headers['content-type']);
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/cloudevents-batch+json') throw invalid('Batched CloudEvents are not accepted');
  if (mediaType.startsWith('application/cloudevents')) {
    if (mediaType !== 'application/cloudevents+json') throw invalid('Only the JSON event format is accepted');
    return readStructured(decodeUtf8(body));
  }
  return readBinary(headers, contentType, body);
}

/** HTTP binding §3.1: attributes in `ce-*` headers, Content-Type is `datacontenttype`, the body is the data. */
function readBinary(headers: Record<string, string | string[] | undefined>, contentType: string | undefined, body: Buffer) {
  const attributes: Attributes = new Map();
  for (const [header, raw] of Object.entries(headers)) {
    const name = header.toLowerCase();
    const value = headerValue(raw);
    if (!name.startsWith('ce-') || value === undefined) continue;
    attributes.set(name.slice(3), decodeHeaderValue(name, value));
  }
  if (attributes.size === 0) throw invalid('Not a CloudEvent: no ce- headers and not application/cloudevents+json');
  // §3.1.1: the Content-Type header carries it; a ce-datacontenttype header MUST NOT be present.
  if (attributes.has('datacontenttype')) throw invalid('ce-datacontenttype is not allowed in binary mode; use Content-Type');
  if (contentType !== undefined) attributes.set('datacontenttype', contentType);
  const data: RawData = body.length === 0 ? { kind: 'none' } : { kind: 'text', text: decodeUtf8(body) };
  return { attributes, data };
}

/** HTTP binding §3.1.3.2: space, double-quote, percent and anything outside printable ASCII, as UTF-8 `%XX`. */
function percentEncode(value: string): string {
  return value.replace(/[^\x21\x23-\x24\x26-\x7e]+/g, (run) =>
    Array.from(Buffer.from(run, 'utf8'), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/**
 * HTTP binding §3.1.3.2: header values are printable US-ASCII; a double-quoted value is unescaped,
 * then one round of percent-decoding is done, and byte sequences that are not UTF-8 are refused.
 */
function decodeHeaderValue(header: string, value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw invalid(`${clip(header)} has characters outside printable ASCII; percent-encode them`);
  const unquoted = /^".*"$/.test(value) ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
  try {
    return decodeURIComponent(unquoted);
  } catch {
    throw invalid(`${clip(header)} has a bad percent-encoding or encodes bytes that are not UTF-8`);
  }
}

/** JSON format §3: one JSON object; `null` members are unset (§2.2); `data` and `data_base64` exclude each other. */
function readStructured(text: string): { attributes: Attributes; data: RawData } {
  const envelope = parseJson(text, 'The structured event');
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw invalid('A structured CloudEvent is a JSON object');
  }
  const attributes: Attributes = new Map();
  let data: RawData = { kind: 'none' };
  let base64: unknown;
  for (const [name, value] of Object.entries(envelope)) {
    if (name === 'data') data = { kind: 'value', value };
    else if (name === 'data_base64') base64 = value;
    else if (value !== null) attributes.set(name, value);
  }
  if (base64 !== undefined && base64 !== null) {
    if (data.kind !== 'none') throw invalid('data and data_base64 are mutually exclusive');
    if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw invalid('data_base64 is not Base64');
    data = { kind: 'text', text: decodeUtf8(Buffer.from(base64, 'base64')) };
  }
  return { attributes, data };
}

/**
 * Spec §Type System, String: no control characters (U+0000–U+001F, U+007F–U+009F), no Unicode
 * noncharacters, no surrogate code points outside a proper pair.
 */
const disallowedInString = new RegExp(
  `[\\u0000-\\u001f\\u007f-\\u009f\\ufdd0-\\ufdef\\ud800-\\udfff${Array.from(
    { length: 17 },
    (_, plane) => `\\u{${(plane * 0x10000 + 0xfffe).toString(16)}}\\u{${(plane * 0x10000 + 0xffff).toString(16)}}`,
  ).join('')}]`,
  'u',
);

/** RFC 3986 §4.1 URI-reference, by its character set (with well-formed percent-escapes). */
const uriReference = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
/** RFC 3339 §5.6 date-time. */
const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
/** Names the spec allows but the SDK's CloudEvent object cannot carry as extensions. */
const reservedNames = new Set(['data', 'emit', 'validate', 'constructor', 'schemaurl', 'datacontentencoding']);
const coreNames = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema']);

function stringAttribute(name: string, value: unknown, maxChars: number, required: boolean): string | undefined {
  if (value === undefined) {
    if (required) throw invalid(`The ${name} attribute is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw invalid(`The ${name} attribute must be a string`);
  if (value.length === 0) throw invalid(`The ${name} attribute must not be empty`);
  if (value.length > maxChars) throw invalid(`The ${name} attribute is longer than ${maxChars} characters`);
  if (disallowedInString.test(value)) throw invalid(`The ${name} attribute has characters a CloudEvents String may not contain`);
  return value;
}

/**
 * Spec §Context Attributes: names (§Naming Conventions), the type of every value (§Type System),
 * the REQUIRED attributes, and the OPTIONAL ones when present.
 */
function checkAttributes(attributes: Attributes): CheckedAttributes {
  for (const name of attributes.keys()) {
    if (!/^[a-z0-9]+$/.test(name) || name.length > cloudEventLimits.attributeNameChars) {
      throw invalid(`${clip(name)} is not a CloudEvents attribute name (lower-case a-z and 0-9 only)`);
    }
    if (reservedNames.has(name)) throw invalid(`The attribute name ${name} is reserved`);
  }
  const specversion = attributes.get('specversion');
  if (specversion === undefined) throw invalid('The specversion attribute is required');
  if (specversion !== '1.0') throw invalid('Only CloudEvents specversion 1.0 is accepted');
  const checked: CheckedAttributes = {
    specversion,
    id: stringAttribute('id', attributes.get('id'), cloudEventLimits.idChars, true)!,
    source: stringAttribute('source', attributes.get('source'), cloudEventLimits.sourceChars, true)!,
    type: stringAttribute('type', attributes.get('type'), cloudEventLimits.typeChars, true)!,
  };
  if (!uriReference.test(checked.source)) throw invalid('The source attribute is not a URI-reference');
  const subject = stringAttribute('subject', attributes.get('subject'), cloudEventLimits.subjectChars, false);
  const time = stringAttribute('time', attributes.get('time'), 64, false);
  const datacontenttype = stringAttribute('datacontenttype', attributes.get('datacontenttype'), 256, false);
  const dataschema = stringAttribute('dataschema', attributes.get('dataschema'), cloudEventLimits.sourceChars, false);
  if (dataschema !== undefined && !(uriReference.test(dataschema) && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(dataschema))) {
    throw invalid('The dataschema attribute is not an absolute URI');
  }
  for (const [name, value] of attributes) {
    if (!coreNames.has(name)) checked[name] = checkExtensionValue(name, value);
  }
  if (subject !== undefined) checked.subject = subject;
  if (time !== undefined) checked.time = normalizeTime(time);
  if (datacontenttype !== undefined) checked.datacontenttype = datacontenttype;
  if (dataschema !== undefined) checked.dataschema = dataschema;
  return checked;
}

/** An extension value: a String (bounded), a Boolean, or an Integer in the signed 32-bit range. */
function checkExtensionValue(name: string, value: unknown): string | number | boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < -2_147_483_648 || value > 2_147_483_647) {
      throw invalid(`The ${name} attribute is not a CloudEvents Integer (32-bit)`);
    }
    return value;
  }
  if (typeof value !== 'string') throw invalid(`The ${name} attribute is not a String, Integer or Boolean`);
  if (disallowedInString.test(value)) throw invalid(`The ${name} attribute has characters a CloudEvents String may not contain`);
  if (Buffer.byteLength(value) > cloudEventLimits.extensionValueBytes) {
    throw invalid(`The ${name} attribute is longer than ${cloudEventLimits.extensionValueBytes} bytes`);
  }
  return value;
}

/** Spec §Type System, Timestamp: RFC 3339, checked field by field (Date.parse would accept `2026-02-30`). */
function normalizeTime(value: string): string {
  const match = rfc3339.exec(value);
  if (!match) throw invalid('The time attribute is not an RFC 3339 timestamp');
  const field = (index: number) => Number(match[index] ?? 0);
  const [year, month, day] = [field(1), field(2), field(3)];
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0); // (Date.UTC would read years 0–99 as 1900–1999)
  const daysInMonth = lastDay.getUTCDate();
  const dateOk = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
  const timeOk = field(4) <= 23 && field(5) <= 59 && field(6) <= 60 && field(8) <= 23 && field(9) <= 59;
  if (!dateOk || !timeOk) throw invalid('The time attribute is not an RFC 3339 timestamp');
  // A leap second (:60) is valid RFC 3339 but not a JavaScript Date; it is read as :59.
  const parsed = Date.parse(value.toUpperCase().replace(/:60(?=[.Z+-])/, ':59'));
  if (Number.isNaN(parsed)) throw invalid('The time attribute is not an RFC 3339 timestamp');
  return new Date(parsed).toISOString();
}

/** JSON format §3.1: data is JSON when its media type has a `json` subtype or a `+json` suffix, or is absent. */
function readData(data: RawData, datacontenttype: string | undefined): unknown {
  const mediaType = datacontenttype?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== undefined && !/^[a-z0-9!#$&^_.+-]+\/(?:[a-z0-9!#$&^_.+-]+\+)?json$/.test(mediaType)) {
    throw invalid(`Event data must be JSON, not ${clip(mediaType)}`);
  }
  if (data.kind === 'none') throw invalid('The event has no data');
  if (data.kind === 'value') return data.value;
  return parseJson(data.text, 'Event data');
}

/**
 * Every string in the (already schema-checked) data must be storable in Postgres — no NUL, no lone
 * surrogate — and short enough to index.
 */
function checkStorable(data: unknown): void {
  const pending: unknown[] = [data];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (!isStorableText(value)) {
        throw invalid('Event data has text that cannot be stored (NUL or a lone surrogate)');
      }
      if (Buffer.byteLength(value) > cloudEventLimits.dataStringBytes) {
        throw invalid(`Event data has a text longer than ${cloudEventLimits.dataStringBytes} bytes`);
      }
    } else if (typeof value === 'object' && value !== null) {
      for (const item of Object.values(value)) pending.push(item);
    }
  }
}
