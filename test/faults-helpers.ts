import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RawSocket, setUserTimeout, tcpInfo } from '../src/index.js';

/** What a net.Socket received and how it ended: 'end', or the error code; bounded by `ms`. */
export function outcome(socket: net.Socket, ms = 5_000): Promise<{ data: Buffer; end: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`socket did not end within ${ms} ms`)), ms);
    const finish = (end: string) => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), end });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => finish('end'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'error'));
  });
}

/** A connected net.Socket. */
export async function connect(port: number, host: string): Promise<net.Socket> {
  const socket = net.connect({ port, host });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** A listening server on `host`, closed by `close()` with every connection it has. */
export async function listening<T extends net.Server>(
  server: T,
  host: string,
): Promise<T & { port: number; stop(): Promise<void> }> {
  server.listen(0, host);
  await once(server, 'listening');
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  return Object.assign(server, {
    port: (server.address() as net.AddressInfo).port,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

/** An HTTP server answering `body` (default 'ok') to every request. */
export function okServer(host: string, body: string | Buffer = 'ok') {
  return listening(
    http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(body));
    }),
    host,
  );
}

export interface Timed<T> {
  value: T;
  ms: number;
}

/** How long `fn` took, ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<Timed<T>> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

/** The outcome of a node:http GET: the status and body, or the error's code. */
export interface HttpOutcome {
  status?: number;
  body?: string;
  code?: string;
  /** The client's kernel's counts (tcpInfo), the most read while its socket was open (every 20 ms). */
  retransmits?: number;
  unacked?: number;
  ms: number;
}

/** Samples tcpInfo of `socket` every 20 ms while it is open; `last` holds the most seen. */
export function sampleTcpInfo(socket: net.Socket): { last?: { retransmits: number; unacked: number } } {
  const state: { last?: { retransmits: number; unacked: number } } = {};
  const read = () => {
    if (socket.destroyed || socket.connecting) return;
    try {
      const info = tcpInfo(socket);
      // The most seen: once the user timeout fires the kernel empties the queue (unacked 0).
      state.last = {
        retransmits: Math.max(state.last?.retransmits ?? 0, info.totalRetrans ?? 0),
        unacked: Math.max(state.last?.unacked ?? 0, info.unacked),
      };
    } catch {
      // closed between the check and the call
    }
  };
  const timer = setInterval(read, 20);
  socket.once('connect', read);
  socket.once('close', () => clearInterval(timer));
  return state;
}

/**
 * A node:http GET that writes its request the moment it is connected (as every HTTP client
 * does), with TCP_USER_TIMEOUT set on its socket when `userTimeout` is given. Bounded by
 * `timeout` (default 8 s), after which it reports code 'TEST_GUARD'.
 */
export function httpGet(
  url: string,
  options: { agent?: http.Agent; userTimeout?: number; timeout?: number } = {},
): Promise<HttpOutcome> {
  const start = performance.now();
  return new Promise((resolve) => {
    let sampled: ReturnType<typeof sampleTcpInfo> = {};
    const done = (result: Omit<HttpOutcome, 'ms'>) => {
      clearTimeout(guard);
      resolve({ ...result, ...sampled.last, ms: performance.now() - start });
    };
    const req = http.get(url, { agent: options.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        // The socket is still open here: the kernel's counts as of the last byte.
        const socket = res.socket ?? req.socket;
        if (socket && !socket.destroyed)
          sampled.last = { retransmits: tcpInfo(socket).totalRetrans ?? 0, unacked: tcpInfo(socket).unacked };
        done({ status: res.statusCode ?? 0, body });
      });
      res.on('error', (error: NodeJS.ErrnoException) => done({ code: error.code ?? 'error' }));
    });
    req.on('socket', (socket: net.Socket) => {
      sampled = sampleTcpInfo(socket);
      const timeout = options.userTimeout;
      if (timeout === undefined) return;
      if (socket.connecting) socket.once('connect', () => setUserTimeout(socket, timeout));
      else setUserTimeout(socket, timeout);
    });
    req.on('error', (error: NodeJS.ErrnoException) => done({ code: error.code ?? 'error' }));
    const guard = setTimeout(
      () => req.destroy(Object.assign(new Error('test guard'), { code: 'TEST_GUARD' })),
      options.timeout ?? 8_000,
    );
  });
}

/** Pauses `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type Closable = { close(): Promise<void> } | { stop(): Promise<void> } | net.Socket | http.Agent;

/**
 * What a test opened, closed when that test finishes (concurrent tests each keep their own):
 * `const keep = keeper(context)` then `keep(await faultServer(…))`.
 */
export function keeper(context: { onTestFinished(fn: () => Promise<void> | void): void }): <T extends Closable>(item: T) => T {
  const items: Closable[] = [];
  context.onTestFinished(async () => {
    for (const item of items.reverse()) {
      if (item instanceof net.Socket || item instanceof http.Agent) item.destroy();
      else if ('stop' in item) await item.stop();
      else await item.close();
    }
  });
  return (item) => {
    items.push(item);
    return item;
  };
}

/** A port on 127.0.0.1 nothing listens on (bound by a socket that is then closed). */
export function freePort(): number {
  const probe = RawSocket.create(4);
  probe.bind('127.0.0.1', 0);
  const port = probe.localAddress!.port;
  probe.close();
  return port;
}

const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const BEFORE_ACCEPT = `
const net = require('node:net');
const { tcpInfo } = require(process.argv[1]);
const [host, port, data, ms] = process.argv.slice(2);
const socket = net.connect(Number(port), host, () => {
  socket.write(data);
  setTimeout(() => {
    const info = tcpInfo(socket);
    process.stdout.write(JSON.stringify({ unacked: info.unacked, retransmits: info.totalRetrans }));
    socket.destroy();
  }, Number(ms));
});
socket.on('error', (e) => { process.stdout.write(JSON.stringify({ code: e.code })); });
`;

/**
 * A client in another process that connects, writes `data` at once and reads its own TCP_INFO
 * `ms` later — while this process is blocked in spawnSync, so a listener here cannot have
 * accepted the connection: what the kernel did with the bytes is the listener's doing alone
 * (its filter, inherited by the connection). Uses dist/ (built by `npm test`).
 */
export function writeBeforeAccept(
  host: string,
  port: number,
  data: string,
  ms = 400,
): { unacked?: number; retransmits?: number; code?: string } {
  const run = spawnSync(process.execPath, ['-e', BEFORE_ACCEPT, DIST_INDEX, host, String(port), data, String(ms)], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (run.status !== 0) throw new Error(`writeBeforeAccept: exit ${run.status ?? run.signal}: ${run.stderr}`);
  return JSON.parse(run.stdout) as { unacked?: number; retransmits?: number; code?: string };
}
