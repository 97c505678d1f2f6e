import net from 'node:net';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export const HOSTS = ['127.0.0.1', '::1'] as const;
export type Host = (typeof HOSTS)[number];

export interface TcpPair {
  client: net.Socket;
  /** The accepted socket. */
  server: net.Socket;
  listener: net.Server;
  port: number;
  close(): Promise<void>;
}

/** A connected client/server pair on loopback; both ends silently absorb errors. */
export async function tcpPair(host: Host = '127.0.0.1', options: { allowHalfOpen?: boolean } = {}): Promise<TcpPair> {
  const listener = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false });
  listener.listen(0, host);
  await once(listener, 'listening');
  const port = (listener.address() as net.AddressInfo).port;
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ host, port, allowHalfOpen: options.allowHalfOpen ?? false });
  await once(client, 'connect');
  const [server] = await accepted;
  return {
    client,
    server,
    listener,
    port,
    async close() {
      client.destroy();
      server.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

/** The first 'error' a socket emits, or a rejection after `ms`. */
export function nextError(emitter: NodeJS.EventEmitter, ms = 5000): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'error' within ${ms} ms`)), ms);
    emitter.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

/** Polls `check` every 5 ms until it returns true; bounded by `ms`. */
export async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Open file descriptors of this process (for leak checks). */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

export const tlsKey = readFileSync(new URL('./fixtures/localhost-key.pem', import.meta.url));
export const tlsCert = readFileSync(new URL('./fixtures/localhost-cert.pem', import.meta.url));

/** Argument lists no native function may accept: each call must throw a coded error. */
export const GARBAGE_ARGS: unknown[][] = [
  [],
  [undefined],
  ['1'],
  [-1],
  [1.5],
  [Number.NaN],
  [2 ** 31],
  [{}],
  [999_999, 'x', 'y', 'z', 'w'],
  [999_999, Number.NaN, Infinity, -Infinity, 1e300],
  [999_999, {}, [], null, undefined],
];

/** What `fn` throws; fails the test when it returns instead. */
export function caught(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error(`expected a throw from ${String(fn)}`);
}

/** The code Node gives each wording of its argument errors. */
const CODE_OF_WORDING: ReadonlyArray<[RegExp, string]> = [
  [/^The value of "[^"]+" is out of range\./, 'ERR_OUT_OF_RANGE'],
  [/^The "[^"]+" argument must be /, 'ERR_INVALID_ARG_TYPE'],
  [/^The argument '[^']+' /, 'ERR_INVALID_ARG_VALUE'],
];

/**
 * The message of what `fn` throws (see {@link caught}), once its `code` is checked: a string, and
 * for Node's three argument-error wordings the code Node gives that wording.
 */
export function messageOf(fn: () => unknown): string {
  const error = caught(fn);
  if (typeof error.code !== 'string') throw new Error(`no code on: ${error.message}`);
  const wording = CODE_OF_WORDING.find(([pattern]) => pattern.test(error.message));
  if (wording && error.code !== wording[1]) throw new Error(`${error.code} for "${error.message}" (Node: ${wording[1]})`);
  return error.message;
}

/** What `fn(...args)` threw, or undefined when it returned. */
export function thrownBy(fn: (...args: unknown[]) => unknown, args: unknown[]): { code?: unknown } | undefined {
  try {
    fn(...args);
  } catch (error) {
    return error as { code?: unknown };
  }
  return undefined;
}

/**
 * The fd of a bound dgram socket, for option-only tests. Node keeps the libuv handle in the
 * socket's internal state (its `_handle` alias is gone in Node 26); never used for I/O.
 */
export function udpFdOf(socket: object): number {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const fd = state && (socket as Record<symbol, { handle?: { fd?: number } }>)[state]?.handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('dgram socket has no fd (not bound yet?)');
  return fd;
}

// This process's packet sockets: its socket fds whose inodes /proc/net/packet lists.
export function packetSockets(): number {
  const inodes = new Set(
    readFileSync('/proc/self/net/packet', 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/).pop()),
  );
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1]);
    } catch {
      return false;
    }
  }).length;
}
