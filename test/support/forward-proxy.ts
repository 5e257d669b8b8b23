/**
 * A corporate forward proxy on loopback, as `HTTPS_PROXY` / `HTTP_PROXY` name one: it opens CONNECT
 * tunnels (RFC 9110 §9.3.6), which is how undici's ProxyAgent sends https:// and http:// alike,
 * and records each tunnel asked for; it sees host and port only, never the request.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ForwardProxy {
  /** `http://127.0.0.1:<port>`, for `HTTPS_PROXY` / `HTTP_PROXY`. */
  url: string;
  /** The tunnels it opened: `CONNECT host:port`. */
  carried: string[];
  close(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const carried: string[] = [];
  const sockets = new Set<Socket>();
  // Anything but CONNECT is not what this proxy does.
  const server = createServer((_req, res) => res.writeHead(501).end());
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // https://www.rfc-editor.org/rfc/rfc9110#name-connect
  server.on('connect', (req, client: Socket, head: Buffer) => {
    carried.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    carried,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
