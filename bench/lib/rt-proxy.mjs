/**
 * A loopback TCP proxy in front of Redis that counts, for the connections through it:
 * - round trips: bursts of bytes from the client that start after the server has answered
 *   (requests sent together, before any reply, count once — a pipeline is one round trip);
 * - commands: RESP requests (`*<n>` arrays) the client sent.
 * Used only to count; throughput is measured on direct connections.
 */
import { createConnection, createServer } from 'node:net';

/** Counts RESP request arrays in a byte stream (requests are arrays of bulk strings). */
class RespCounter {
  count = 0;
  #buf = Buffer.alloc(0);
  #need = null; // bulk strings still to skip in the current array
  feed(chunk) {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const eol = this.#buf.indexOf('\r\n', pos);
      if (eol < 0) break;
      const type = String.fromCharCode(this.#buf[pos]);
      const n = Number(this.#buf.toString('latin1', pos + 1, eol));
      if (type === '*') {
        this.count++;
        this.#need = n;
        pos = eol + 2;
      } else if (type === '$') {
        const end = eol + 2 + n + 2;
        if (end > this.#buf.length) break;
        pos = end;
        this.#need--;
      } else {
        // Inline command (no RESP array): one line is one command.
        this.count++;
        pos = eol + 2;
      }
    }
    this.#buf = this.#buf.subarray(pos);
  }
}

export async function startProxy(targetPort, targetHost = '127.0.0.1') {
  const stats = { roundTrips: 0, commands: 0 };
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = createConnection({ port: targetPort, host: targetHost });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    const counter = new RespCounter();
    let answered = true;
    client.on('data', (chunk) => {
      if (answered) stats.roundTrips++;
      answered = false;
      const before = counter.count;
      counter.feed(chunk);
      stats.commands += counter.count - before;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      answered = true;
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    stats,
    reset() {
      stats.roundTrips = 0;
      stats.commands = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
