// Network misbehaviour for failure tests, on loopback: a port that accepts TCP and never
// answers, and a proxy whose link can be cut and restored (a fast way to many outages).
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Blackhole {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  close(): Promise<void>;
}

/** Accepts connections and never sends a byte (a hung server, a half-dead load balancer). */
export async function blackhole(port = 0): Promise<Blackhole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    close: () => closeServer(server, sockets),
  };
}

export interface CuttableProxy {
  readonly port: number;
  /** Drops every link and refuses new ones until restore(). */
  cut(): void;
  /** Keeps every link open but forwards nothing, either way (a network partition). */
  freeze(): void;
  /** Undoes cut() or freeze(). */
  restore(): void;
  /** Links open right now. */
  readonly links: () => number;
  close(): Promise<void>;
}

/** A TCP proxy 127.0.0.1:port → 127.0.0.1:targetPort. */
export async function cuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let frozen = false;
  let links = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    links++;
    let counted = true;
    const drop = () => {
      if (counted) links--;
      counted = false;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    // Bytes arriving while frozen are dropped: the peer sees silence, as behind a partition.
    client.on('data', (chunk) => frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => frozen || client.write(chunk));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    freeze() {
      frozen = true;
    },
    restore() {
      open = true;
      frozen = false;
    },
    links: () => links,
    close: () => closeServer(server, sockets),
  };
}

async function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
