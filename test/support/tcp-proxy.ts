import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';

/** A TCP proxy on loopback that can cut the network between its clients and the target. */
export interface TcpProxy {
  port: number;
  /** Rewrite a URL's host and port to go through the proxy. */
  urlFor(url: string): string;
  /**
   * Stop passing bytes both ways and hold new connections, as a network partition does: nothing
   * is refused or reset, everything just waits.
   */
  partition(): void;
  /** Let everything held through again. */
  heal(): void;
  /** How many connections clients have opened through the proxy so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Start a proxy to `target` (host:port) on a free loopback port. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let partitioned = false;
  let accepted = 0;
  const pairs = new Set<[Socket, Socket]>();
  const held: Socket[] = [];

  const join = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (partitioned) {
      client.pause();
      upstream.pause();
    }
  };

  const server = createServer((client) => {
    accepted += 1;
    if (partitioned) {
      client.pause();
      held.push(client);
      return;
    }
    join(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };

  return {
    port,
    urlFor(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    partition() {
      partitioned = true;
      for (const [client, upstream] of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    heal() {
      partitioned = false;
      for (const [client, upstream] of pairs) {
        client.resume();
        upstream.resume();
      }
      for (const client of held.splice(0)) {
        join(client);
        client.resume();
      }
    },
    connections: () => accepted,
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      for (const client of held.splice(0)) client.destroy();
      server.close();
    },
  };
}
