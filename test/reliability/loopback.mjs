// Loopback connections for the reliability scripts and the benchmarks (plain JavaScript: they
// run in child processes against dist/, outside vitest). 127.0.0.1 / ::1 only.
import { once } from 'node:events';
import net from 'node:net';

/** A listening server on `host`, port chosen by the kernel. */
export async function listen(host = '127.0.0.1') {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  return server;
}

/**
 * `count` connections to `server`: the clients and the sockets it accepted. Every socket gets
 * an 'error' listener, since the tests reset them on purpose.
 */
export async function connectMany(server, count) {
  const { address, port } = server.address();
  const accepted = [];
  const allAccepted = new Promise((resolve) => {
    const onConnection = (socket) => {
      socket.on('error', () => {});
      accepted.push(socket);
      if (accepted.length === count) {
        server.off('connection', onConnection);
        resolve();
      }
    };
    server.on('connection', onConnection);
  });
  const clients = [];
  for (let i = 0; i < count; i++) {
    const client = net.connect({ host: address, port });
    client.on('error', () => {});
    clients.push(client);
  }
  await Promise.all(clients.map((c) => once(c, 'connect')));
  await allAccepted;
  return { clients, accepted };
}

/** One connection on its own listener: { client, peer, server }. */
export async function tcpPair(host = '127.0.0.1') {
  const server = await listen(host);
  const { clients, accepted } = await connectMany(server, 1);
  return { client: clients[0], peer: accepted[0], server };
}

/** Resolves on 'close' (events.once would reject on the ECONNRESET 'error' before it). */
export const closed = (socket) => new Promise((resolve) => socket.once('close', resolve));
