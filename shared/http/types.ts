import type { IncomingHttpHeaders } from 'node:http';

/** A request as handlers see it: the raw body is kept because Slack signs the exact bytes. */
export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  requestId: string;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

/**
 * Who may call a route, declared with it so that no route is open by omission: a bearer JWT for
 * one of `audiences` (internal endpoints: CloudEvents from KafkaSource, PingSource ticks), checked
 * by the server before the body is read; or Slack's request signature, which the route's handler
 * checks over the raw body.
 */
export type RouteAuth = { kind: 'bearer'; audiences: readonly string[] } | { kind: 'slack-signature' };

/** One HTTP route of a function. `type` labels `coffeebuddy_requests_total`. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  type: string;
  auth: RouteAuth;
  handle(request: HttpRequest): Promise<HttpResponse>;
}

/**
 * Checks a request against a `bearer` route's audiences: `null` lets it through, a response
 * (401, or 503 when the issuer cannot be reached) answers it instead.
 */
export type Authenticate = (request: Pick<HttpRequest, 'path' | 'headers' | 'requestId'>, audiences: readonly string[]) => Promise<HttpResponse | null>;

/** A request header's value, the first one if it was sent more than once. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A JSON body for an error: a stable code and a message safe to show, never internals. */
export function jsonError(status: number, code: string, message: string): HttpResponse {
  return { status, body: { error: code, message } };
}
