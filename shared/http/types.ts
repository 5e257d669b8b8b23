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

/** One HTTP route of a function. `type` labels `coffeebuddy_requests_total`. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  type: string;
  handle(request: HttpRequest): Promise<HttpResponse>;
}

/** A JSON body for an error: a stable code and a message safe to show, never internals. */
export function jsonError(status: number, code: string, message: string): HttpResponse {
  return { status, body: { error: code, message } };
}
