/**
 * Kong as the Ingress YAML configures it, the only way in from outside: a request reaches a
 * function only through a route (host, exact path, method) of an Ingress, after the plugins the
 * Ingress names (request size, rate limit), with the upstream's read timeout. Kong's own answers
 * are Kong's (404 no route, 413, 429, 504). TLS, a real Kong's clustering and its real-IP handling
 * are not rehearsed (README "Deploy to Knative").
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KongRoute } from './cluster.ts';

export interface KongStandIn {
  url: string;
  /** Every answer a function gave through Kong: path and status. */
  answers: { path: string; status: number }[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startKong(routes: readonly KongRoute[], resolve: (service: string) => string): Promise<KongStandIn> {
  const answers: KongStandIn['answers'] = [];
  const windows = new Map<string, { minute: number; count: number }>();
  const server: Server = createServer((request, response) => {
    const send = (status: number, message: string) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message }));
    };
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://kong').pathname;
      const host = (request.headers.host ?? '').split(':')[0];
      const route = routes.find(
        (candidate) =>
          candidate.host === host &&
          (candidate.pathType === 'Exact' ? candidate.path === path : path.startsWith(candidate.path)) &&
          (candidate.methods.length === 0 || candidate.methods.includes(request.method ?? '')),
      );
      if (!route) return send(404, 'no Route matched with those values');
      const body = await readBody(request);
      const sizeLimit = route.plugins['request-size-limiting'];
      if (sizeLimit && body.length > Number(sizeLimit.allowed_payload_size)) return send(413, 'Request size limit exceeded');
      const rateLimit = route.plugins['rate-limiting'];
      if (rateLimit) {
        const minute = Math.floor(Date.now() / 60_000);
        const key = `${route.path}|${request.socket.remoteAddress}`;
        const window = windows.get(key);
        const count = window?.minute === minute ? window.count + 1 : 1;
        windows.set(key, { minute, count });
        if (count > Number(rateLimit.minute)) return send(429, 'API rate limit exceeded');
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers))
        if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
      try {
        const upstream = await fetch(new URL(path, resolve(route.service)), {
          method: request.method ?? 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(route.readTimeoutMs),
        });
        answers.push({ path, status: upstream.status });
        const text = Buffer.from(await upstream.arrayBuffer());
        response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
        response.end(text);
      } catch {
        answers.push({ path, status: 504 });
        send(504, 'The upstream server is timing out');
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answers,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
