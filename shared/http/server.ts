import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logging.ts';
import type { Metrics } from '../metrics.ts';
import { firstHeader, jsonError, type Authenticate, type HttpRequest, type HttpResponse, type Route } from './types.ts';

/** A readiness check: name → whether that dependency answers now. */
export type ReadinessCheck = () => Promise<Record<string, boolean>>;

export interface HttpServer {
  server: Server;
  listen(port: number, host?: string): Promise<number>;
  /** Stop accepting, let in-flight requests finish (up to `timeoutMs`), then close. */
  close(timeoutMs: number): Promise<void>;
}

class BodyTooLarge extends Error {}

/**
 * The HTTP adapter shared by every function: routes, bearer-token checks on the routes that ask
 * for them (before the body is read), raw-body reading with a size limit (413), `/health/live`,
 * `/health/ready`, `/metrics` (open), JSON errors without internals, and a drain on close.
 */
export function createHttpServer(options: {
  routes: readonly Route[];
  readiness: ReadinessCheck;
  /**
   * Checks reported but not required for readiness: a dependency whose outage the function rides
   * out (Kafka: events wait in the outbox), so Knative keeps routing Slack's requests to it.
   */
  advisoryChecks?: readonly string[];
  log: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  /** Required when any route asks for a bearer token. */
  authenticate?: Authenticate;
}): HttpServer {
  const authenticate = options.authenticate;
  const unguarded = options.routes.find((route) => route.auth.kind === 'bearer' && !authenticate);
  if (unguarded) throw new Error(`${unguarded.path} needs a bearer token but the server has no authenticate`);
  const routes = new Map(options.routes.map((route) => [`${route.method} ${route.path}`, route]));
  const paths = new Set(options.routes.map((route) => route.path));
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | null = null;

  const builtIn: Record<string, () => Promise<HttpResponse>> = {
    '/health/live': async () => ({ status: 200, body: { status: 'ok' } }),
    '/health/ready': async () => {
      if (draining) return { status: 503, body: { status: 'draining' } };
      const checks = await options.readiness().catch(() => ({ readiness: false }));
      const advisory = new Set(options.advisoryChecks ?? []);
      const ok = Object.entries(checks).every(([name, up]) => up || advisory.has(name));
      return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unavailable', checks } };
    },
    '/metrics': async () => ({
      status: 200,
      headers: { 'content-type': options.metrics.registry.contentType },
      body: await options.metrics.registry.metrics(),
    }),
  };

  async function route(req: IncomingMessage, requestId: string): Promise<{ response: HttpResponse; label: string }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const builtInHandler = builtIn[url.pathname];
    if (builtInHandler && (method === 'GET' || method === 'HEAD')) {
      return { response: await builtInHandler(), label: url.pathname };
    }
    const match = routes.get(`${method} ${url.pathname}`);
    if (!match) {
      const known = paths.has(url.pathname) || builtInHandler !== undefined;
      return {
        response: known
          ? jsonError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`)
          : jsonError(404, 'not_found', `No route for ${method} ${url.pathname}`),
        label: 'unmatched',
      };
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > options.bodyLimitBytes) {
      return { response: tooLarge(options.bodyLimitBytes), label: match.path };
    }
    options.metrics.requestsTotal.inc({ type: match.type });
    if (match.auth.kind === 'bearer') {
      const refused = await authenticate!({ path: url.pathname, headers: req.headers, requestId }, match.auth.audiences);
      if (refused) return { response: refused, label: match.path };
    }
    const rawBody = await readBody(req, options.bodyLimitBytes);
    const request: HttpRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      requestId,
    };
    return { response: await match.handle(request), label: match.path };
  }

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
    inFlight++;
    route(req, requestId)
      .catch((error: unknown) => {
        if (error instanceof BodyTooLarge) return { response: tooLarge(options.bodyLimitBytes), label: 'too_large' };
        options.metrics.errorsTotal.inc({ type: 'http_unhandled' });
        options.log.error('unhandled error in request', { requestId, path: req.url, error });
        return { response: jsonError(500, 'internal', 'Something went wrong. Please try again.'), label: 'error' };
      })
      .then(({ response, label }) => {
        send(res, response, requestId);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        options.metrics.requestDurationSeconds.observe({ route: label, status: String(response.status) }, seconds);
      })
      .finally(() => {
        inFlight--;
        if (draining && inFlight === 0) drained?.();
      });
  }
  const server = createServer(serve);
  // Slack gives up after 3 s; a stuck client should not hold a socket for minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  return {
    server,
    listen(port, host = '0.0.0.0') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    async close(timeoutMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            drained = resolve;
          }),
          new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

function tooLarge(limit: number): HttpResponse {
  // The client may still be sending: close the connection rather than read the rest.
  return { ...jsonError(413, 'payload_too_large', `Request body exceeds ${limit} bytes`), headers: { connection: 'close' } };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = firstHeader(value);
  return first && /^[\w.-]{1,128}$/.test(first) ? first : undefined;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, response: HttpResponse, requestId: string): void {
  const isText = typeof response.body === 'string';
  const body = response.body === undefined ? '' : isText ? (response.body as string) : JSON.stringify(response.body);
  const headers: Record<string, string> = {
    'x-request-id': requestId,
    ...(response.body === undefined ? {} : { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json' }),
    ...response.headers,
  };
  res.writeHead(response.status, headers);
  res.end(body);
}
