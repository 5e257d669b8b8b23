import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxState } from './protocol.ts';

/**
 * `GET /sandbox/events`: the state as server-sent events. Each client gets the full state when it
 * connects and after changes, at most one frame per `coalesceMs` (a run posts, updates and DMs in
 * a burst; the page only needs the end of it), and a comment every `heartbeatMs` so proxies and
 * browsers keep an idle stream open.
 */
export function createEventStream(options: {
  snapshot: () => SandboxState;
  onChange: (listener: () => void) => () => void;
  coalesceMs?: number;
  heartbeatMs?: number;
}) {
  const clients = new Set<ServerResponse>();
  let pending: NodeJS.Timeout | undefined;
  const frame = () => `event: state\ndata: ${JSON.stringify(options.snapshot())}\n\n`;

  const broadcast = (): void => {
    pending = undefined;
    if (clients.size === 0) return;
    const data = frame();
    for (const client of clients) client.write(data);
  };
  const stopListening = options.onChange(() => {
    pending ??= setTimeout(broadcast, options.coalesceMs ?? 30);
  });
  const heartbeat = setInterval(() => {
    for (const client of clients) client.write(': heartbeat\n\n');
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    serve(req: IncomingMessage, res: ServerResponse): void {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 1000\n${frame()}`);
      clients.add(res);
      const drop = () => clients.delete(res);
      req.on('close', drop);
      res.on('error', drop);
    },
    /** Ends every stream and stops the timers. */
    close(): void {
      stopListening();
      clearTimeout(pending);
      clearInterval(heartbeat);
      for (const client of clients) client.end();
      clients.clear();
    },
  };
}
