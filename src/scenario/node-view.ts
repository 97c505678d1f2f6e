/**
 * The Node view of a case: the same kernel event met through a net.Socket, recorded as the
 * events Node emitted, in order ('data 2', 'error ECONNRESET (read)', 'close hadError=true').
 */
import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { RawSocket, type RawFamily } from '../raw/raw-socket.js';

export interface NodeView {
  /** Events in the order Node emitted them. */
  events: string[];
  /** The first error's code, if any. */
  errorCode?: string;
  /** `hadError` of 'close', if it fired. */
  hadError?: boolean;
  durationMs: number;
  /** Set when the view could not be produced (e.g. a required privilege is missing). */
  skipped?: string;
}

/** Records a net.Socket's events until 'close' (or a bound), for one Node view. */
export class NodeRecorder {
  readonly events: string[] = [];
  errorCode: string | undefined;
  hadError: boolean | undefined;
  private readonly closed: Promise<unknown>;

  constructor(readonly socket: net.Socket) {
    socket.on('connect', () => this.events.push('connect'));
    socket.on('data', (chunk: Buffer) => this.events.push(`data ${chunk.length}`));
    socket.on('end', () => this.events.push('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.errorCode ??= error.code;
      this.events.push(`error ${error.code ?? error.message}${error.syscall ? ` (${error.syscall})` : ''}`);
    });
    // Not events.once(): it rejects when 'error' comes first, and here errors are the data.
    this.closed = new Promise<void>((resolve) => {
      socket.once('close', (hadError: boolean) => {
        this.hadError = hadError;
        this.events.push(`close hadError=${String(hadError)}`);
        resolve();
      });
    });
  }

  /** What was recorded so far, as a view (its time is the caller's to add). */
  view(): Omit<NodeView, 'durationMs'> {
    return {
      events: this.events,
      ...(this.errorCode !== undefined ? { errorCode: this.errorCode } : {}),
      ...(this.hadError !== undefined ? { hadError: this.hadError } : {}),
    };
  }

  /** write() with its callback's outcome recorded. */
  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      this.socket.write(data, (error) => {
        this.events.push(error ? `write-cb ${(error as NodeJS.ErrnoException).code}` : 'write-cb ok');
        resolve();
      });
    });
  }

  /** Resolves when 'close' fired or `ms` passed (then destroys the socket so nothing lingers). */
  async settle(ms = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    if (!this.socket.destroyed) {
      this.events.push(`(no close within ${ms} ms)`);
      this.socket.destroy();
    }
  }

  /** Resolves at the next event whose text starts with `prefix`, or after `ms`. */
  async next(prefix: string, ms = 3000): Promise<boolean> {
    const deadline = performance.now() + ms;
    // Bounded: checks after each event loop turn until the deadline.
    while (performance.now() < deadline) {
      if (this.events.some((e) => e.startsWith(prefix))) return true;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return false;
  }
}

export interface NodePair {
  /** The Node side, a net.Socket client with every event recorded. */
  node: NodeRecorder;
  /** The raw accepted server end. */
  raw: RawSocket;
  listener: RawSocket;
  close(): void;
}

/** A net.Socket client connected to a RawSocket server on loopback. */
export async function nodeClientRawServer(family: RawFamily, options: { allowHalfOpen?: boolean } = {}): Promise<NodePair> {
  const host = family === 6 ? '::1' : '127.0.0.1';
  const listening = await RawSocket.listen({ host, port: 0 });
  if (!listening.ok) throw new Error(`listen failed: ${listening.code}`);
  const listener = listening.socket;
  const socket = net.connect({ host, port: listener.localAddress?.port ?? 0, allowHalfOpen: options.allowHalfOpen ?? false });
  const node = new NodeRecorder(socket);
  await once(socket, 'connect');
  const accepted = await listener.accept({ timeout: 3000 });
  if (!accepted.ok) throw new Error(`accept failed: ${accepted.code}`);
  return {
    node,
    raw: accepted.socket,
    listener,
    close() {
      socket.destroy();
      if (!accepted.socket.closed) accepted.socket.close();
      if (!listener.closed) listener.close();
    },
  };
}

/** Runs `body` and returns the recorder's view; always cleans up. */
export async function nodeView(
  family: RawFamily,
  body: (pair: NodePair) => Promise<void>,
  options: { allowHalfOpen?: boolean } = {},
): Promise<NodeView> {
  const started = performance.now();
  const pair = await nodeClientRawServer(family, options);
  try {
    await body(pair);
    await pair.node.settle();
  } finally {
    pair.close();
  }
  const view = pair.node.view();
  return { ...view, events: view.events.filter((e) => e !== 'connect'), durationMs: Math.round(performance.now() - started) };
}
