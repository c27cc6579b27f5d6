/**
 * A loopback TCP proxy for tests: forwards bytes both ways between its clients and one
 * target, and can cut a connection at a chosen moment — after forwarding a request and
 * receiving the target's reply, but before relaying that reply — as a network failure does.
 */
import { createConnection, createServer, type Socket } from 'node:net';

/** A running proxy. */
export interface TcpProxy {
  /** The port it listens on (127.0.0.1, chosen free by the system). */
  port: number;
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /**
   * Arms a cut: the next chunk a client sends that contains `marker` (case-insensitive) is
   * forwarded to the target; once the target's reply arrives, the proxy closes both sockets
   * of that connection without relaying it. Resolves when the cut has happened.
   */
  cutAfterReply(marker: string): Promise<void>;
  /** How many times `marker` (case-insensitive) appeared in what clients sent so far. */
  seen(marker: string): number;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a proxy to `target` on a free loopback port. */
export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const sent: string[] = [];
  let armed: { marker: string; done: () => void } | undefined;

  const server = createServer((client) => {
    const upstream = createConnection({ host: target.host ?? '127.0.0.1', port: target.port });
    sockets.add(client).add(upstream);
    let cut: (() => void) | undefined; // set once this connection forwarded the marked request
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      sent.push(text.toLowerCase());
      if (armed !== undefined && text.toLowerCase().includes(armed.marker)) {
        cut = armed.done;
        armed = undefined;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cut === undefined) {
        client.write(chunk);
        return;
      }
      end(); // the target has answered the marked request: drop the answer with the connection
      cut();
    });
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cutAfterReply: (marker) => new Promise<void>((resolve) => (armed = { marker: marker.toLowerCase(), done: resolve })),
    seen: (marker) => {
      const m = marker.toLowerCase();
      return sent.reduce((n, text) => n + text.split(m).length - 1, 0);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
