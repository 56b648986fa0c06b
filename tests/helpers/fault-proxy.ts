import { once } from 'node:events';
import net from 'node:net';

/**
 * A TCP proxy a test puts between a server and one of its neighbours (PostgreSQL, Redis), to
 * make the neighbour fail the ways networks and servers do:
 * - `refuse()`: no more connections (the port is closed: ECONNREFUSED); open ones carry on;
 * - `drop()`: every open connection is cut, both ways;
 * - `freeze()`: connections stay open (new ones are accepted too) but no byte goes through in
 *   either direction, as when the network or the neighbour stalls; what was sent meanwhile is
 *   held, and delivered by `heal()`, as TCP would once the stall ends;
 * - `heal()`: back to forwarding (and listening on the same port).
 */
export interface FaultProxy {
  /** The port the proxy listens on (127.0.0.1). */
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  /** Connections open through the proxy now. */
  readonly connections: number;
  refuse(): Promise<void>;
  drop(): void;
  freeze(): void;
  heal(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes held while frozen, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let frozen = false;
  let listener: net.Server | undefined;
  let port = 0;

  const end = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  };
  const forward = (pair: Pair, from: net.Socket, to: net.Socket, held: Buffer[]) => {
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.push(chunk);
      else to.write(chunk);
    });
    from.on('close', () => {
      // While frozen, the other side learns nothing (a stalled network carries no FIN either).
      if (!frozen) end(pair);
    });
    from.on('error', () => {});
  };
  const accept = (client: net.Socket) => {
    const upstream = net.connect(target.port, target.host);
    const pair: Pair = { client, upstream, toUpstream: [], toClient: [] };
    pairs.add(pair);
    forward(pair, client, upstream, pair.toUpstream);
    forward(pair, upstream, client, pair.toClient);
  };
  const listen = async () => {
    const server = net.createServer(accept);
    server.on('error', () => {});
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
    listener = server;
  };
  await listen();

  return {
    get port() {
      return port;
    },
    via(url: string) {
      return Object.assign(new URL(url), { hostname: '127.0.0.1', port: String(port) }).href;
    },
    get connections() {
      return pairs.size;
    },
    async refuse() {
      const server = listener;
      listener = undefined;
      // It stops listening at once (its callback would wait for the open connections).
      server?.close();
      await new Promise((resolve) => setImmediate(resolve));
    },
    drop() {
      for (const pair of [...pairs]) end(pair);
    },
    freeze() {
      frozen = true;
    },
    async heal() {
      frozen = false;
      for (const pair of [...pairs]) {
        for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk);
        for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
        // A side that closed during the freeze: its peer learns it now.
        if (pair.client.destroyed || pair.upstream.destroyed) end(pair);
      }
      if (!listener) await listen();
    },
    async close() {
      frozen = false;
      for (const pair of [...pairs]) end(pair);
      const server = listener;
      listener = undefined;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
