/**
 * One connection through faultProxy: the client's socket, the upstream socket, a pump per
 * direction and the record. A pump forwards what it reads with backpressure (at most
 * PROXY_BUFFER_BYTES held in user space per direction: past it the source is paused, so the
 * kernels' windows push back on the sender), through the data toxics of its stream, and passes
 * a FIN on as a FIN and an RST as an RST.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { abort, queues } from '../controls/options.js';
import { blackhole } from '../raw/blackhole.js';
import { ConnectionToxics } from './connection-toxics.js';
import { Sleeper } from './sleeper.js';
import { pushEvent, round, type ActiveToxic, type Plan, type ToxicEvent, type ToxicSet, type ToxicStream } from './toxics.js';

/**
 * Bytes one direction of a proxied connection holds in user space at most (read from one side,
 * not yet handed to the other side's kernel), before it pauses reading; one more read (at most
 * 64 KiB) may land after the pause. So a connection holds at most 2 × (128 + 64) KiB, whatever
 * the peers do. The kernels' socket buffers come on top (they are the kernel's, and bounded).
 */
export const PROXY_BUFFER_BYTES = 128 * 1024;

/** What a direction does once its `pass` bytes went through. */
export type CutAction = 'reset' | 'fin' | 'silent';

/**
 * A cut in one direction: exactly `pass` bytes are delivered, then `then`:
 * - `'reset'`: once the receiver's kernel has acknowledged those bytes, both sides are reset
 *   (RST); the receiver reads the `pass` bytes, then its next read fails ECONNRESET (a Node
 *   socket has been seen to report the end of the stream instead, on a loaded machine, though
 *   the wire carried the RST and no FIN).
 * - `'fin'`: the receiver gets the bytes and then end of stream (FIN); the other direction
 *   keeps flowing.
 * - `'silent'`: the proxy's socket facing the sender gets a drop-all filter (a pulled cable on
 *   that side): the sender's next segments are never acknowledged, so its own kernel timers
 *   fire (TCP_USER_TIMEOUT, keepalive: ETIMEDOUT), and nothing more is forwarded. Needs
 *   CAP_NET_ADMIN; without it `faultProxy` rejects up front with the probe's code.
 */
export interface DirectionRule {
  pass: number;
  then: CutAction;
}

/** What the proxy saw and did on one connection. */
export interface ProxyConnectionRecord {
  /** 1 for the first connection, as `resetConnections` counts. */
  number: number;
  remoteAddress?: string;
  remotePort?: number;
  /** ms since the proxy started. */
  openedAt: number;
  closedAt?: number;
  /** Bytes delivered to the upstream / to the client. */
  requestBytes: number;
  responseBytes: number;
  /** Bytes read and not forwarded (after a cut). */
  droppedBytes: number;
  /**
   * What the proxy did: `'reset-on-accept'`, `'request-reset'`, `'response-fin'`,
   * `'idle-reset'`, `'over-limit'` (reset at once: `maxConnections` were open), `'down-reset'`…
   */
  actions: string[];
  /** Error codes the two sides reported to the proxy (`'client ECONNRESET'`, `'upstream ECONNREFUSED'`). */
  errors: string[];
  /** What each toxic did on this connection, in order (the first 1,000 events). */
  toxics: ToxicEvent[];
  /** The most bytes held in user space at once, per stream (bounded by {@link PROXY_BUFFER_BYTES} + one read). */
  maxBufferedBytes: { upstream: number; downstream: number };
}

/** How the proxy runs a connection. */
export interface ProxyPlan {
  upstream: { host: string; port: number };
  request?: DirectionRule;
  response?: DirectionRule;
  idleReset?: number;
  connectTimeout: number;
  toxics: ToxicSet;
  seed: number;
  origin: number;
  /** The listener had a filter: the client's socket may have inherited it. */
  inherited: boolean;
}

// Resolves once every byte written to `socket` has left Node and been acknowledged by the
// peer's kernel (SIOCOUTQ 0): only then does an RST not discard data the cut promised.
async function flushed(socket: net.Socket, timeout = 2_000): Promise<void> {
  if (socket.destroyed) return;
  await new Promise<void>((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
  const deadline = performance.now() + timeout;
  for (let i = 0; i < timeout; i++) {
    if (socket.destroyed || queues(socket).queued === 0 || performance.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** RST through Node (SO_LINGER {on, 0}, then destroy), or a plain destroy before there is an fd. */
export function resetQuietly(socket: net.Socket): void {
  if (socket.destroyed) return;
  try {
    abort(socket);
  } catch {
    socket.destroy();
  }
}

/** One direction: reads `from`, writes `to`, under the stream's toxics and backpressure. */
class Pump {
  readonly #from: net.Socket;
  readonly #to: net.Socket;
  readonly #stream: ToxicStream;
  readonly #connection: ProxyConnection;
  readonly #rule: DirectionRule | undefined;
  readonly #queue: Array<{ data: Buffer; arrival: number }> = [];
  readonly #sleeper = new Sleeper();
  #queued = 0;
  #passed = 0;
  #running = false;
  #paused = false;
  #ended = false;
  #cut = false;
  #generation = 0;

  constructor(
    from: net.Socket,
    to: net.Socket,
    stream: ToxicStream,
    connection: ProxyConnection,
    rule: DirectionRule | undefined,
  ) {
    this.#from = from;
    this.#to = to;
    this.#stream = stream;
    this.#connection = connection;
    this.#rule = rule;
    from.on('data', (chunk: Buffer) => connection.guard(() => this.#onData(chunk)));
    from.on('end', () => connection.guard(() => this.#onEnd()));
    to.on('drain', () => connection.guard(() => this.#pressure()));
    if (rule && rule.pass === 0) this.#run(() => this.#ruleCut());
  }

  /** A toxic changed: what the old rules held back is released now. */
  wake(): void {
    this.#generation++;
    this.#sleeper.wakeAll();
  }

  #onData(chunk: Buffer): void {
    this.#connection.touch();
    if (this.#cut) {
      this.#connection.record.droppedBytes += chunk.byteLength;
      return;
    }
    // Nothing queued, no rule and no data toxic: straight through, as pipe() would.
    if (
      !this.#running &&
      this.#queue.length === 0 &&
      this.#rule === undefined &&
      !this.#connection.shaper(this.#stream).active()
    ) {
      this.#write(chunk);
      this.#pressure();
      return;
    }
    this.#queue.push({ data: chunk, arrival: performance.now() });
    this.#queued += chunk.byteLength;
    this.#pressure();
    if (!this.#running) this.#run(() => this.#drainQueue());
  }

  #onEnd(): void {
    this.#ended = true;
    if (!this.#running) this.#run(async () => undefined);
  }

  // Runs `work`, then the FIN if the source ended and all was delivered; one at a time.
  #run(work: () => Promise<void>): void {
    this.#running = true;
    void work()
      .then(async () => {
        if (this.#ended && this.#queue.length === 0 && !this.#cut) await this.#forwardEnd();
      })
      .catch((error: unknown) => this.#connection.internal(error))
      .finally(() => {
        this.#running = false;
        if (this.#queue.length > 0 && !this.#cut) this.#run(() => this.#drainQueue());
      });
  }

  async #drainQueue(): Promise<void> {
    for (let i = 0; this.#queue.length > 0 && !this.#cut && !this.#to.destroyed; i++) {
      const item = this.#queue[0];
      await this.#deliver(item.data, item.arrival);
      this.#queue.shift();
      this.#queued -= item.data.byteLength;
      this.#pressure();
    }
    if (this.#cut || this.#to.destroyed) {
      for (const item of this.#queue.splice(0)) this.#connection.record.droppedBytes += item.data.byteLength;
      this.#queued = 0;
    }
  }

  async #deliver(data: Buffer, arrival: number): Promise<void> {
    let cutAfter = false;
    if (this.#rule) {
      const allowed = Math.max(0, this.#rule.pass - this.#passed);
      const piece = data.subarray(0, allowed);
      this.#connection.record.droppedBytes += data.byteLength - piece.byteLength;
      this.#passed += piece.byteLength;
      cutAfter = this.#passed >= this.#rule.pass;
      data = piece;
    }
    const shaper = this.#connection.shaper(this.#stream);
    if (data.byteLength > 0 && shaper.active()) {
      const plan = shaper.plan(data, arrival);
      await this.#play(plan);
      if (plan.cut) return this.#limitCut(plan.cut.toxic);
    } else if (data.byteLength > 0) {
      this.#write(data);
    }
    if (cutAfter) await this.#ruleCut();
  }

  async #play(plan: Plan): Promise<void> {
    const generation = this.#generation;
    for (const piece of plan.pieces) {
      await this.#sleeper.until(piece.at, () => generation !== this.#generation || this.#to.destroyed);
      if (this.#to.destroyed) return;
      this.#write(piece.data);
    }
    const at = round(performance.now() - this.#connection.origin);
    const delayMs = round(performance.now() - plan.arrival);
    for (const event of plan.events) {
      event.at = at;
      event.delayMs = delayMs;
      pushEvent(this.#connection.record.toxics, event);
    }
  }

  #write(data: Buffer): void {
    if (this.#to.destroyed) {
      this.#connection.record.droppedBytes += data.byteLength;
      return;
    }
    this.#to.write(data);
    if (this.#stream === 'upstream') this.#connection.record.requestBytes += data.byteLength;
    else this.#connection.record.responseBytes += data.byteLength;
  }

  // Pauses the source while the bytes held here (queued, plus those Node could not yet hand to
  // the destination's kernel) reach the bound; resumes it below half.
  #pressure(): void {
    const held = this.#queued + this.#to.writableLength;
    const max = this.#connection.record.maxBufferedBytes;
    if (held > max[this.#stream]) max[this.#stream] = held;
    if (!this.#paused && held >= PROXY_BUFFER_BYTES) {
      this.#paused = true;
      this.#from.pause();
    } else if (this.#paused && held < PROXY_BUFFER_BYTES / 2) {
      this.#paused = false;
      this.#from.resume();
    }
  }

  #sleep(ms: number): Promise<void> {
    return this.#sleeper.sleep(ms);
  }

  // The source's FIN goes on as a FIN, held by slowClose if one acts on this stream.
  async #forwardEnd(): Promise<void> {
    if (this.#to.destroyed || this.#to.writableEnded) return;
    const slow = this.#connection.toxics.slowClose(this.#stream);
    if (slow.toxic && slow.delay > 0) {
      const start = performance.now();
      await this.#sleep(slow.delay);
      this.#connection.toxics.event(slow.toxic, 'slow-close', {
        plannedMs: slow.delay,
        delayMs: round(performance.now() - start),
      });
    }
    if (!this.#to.destroyed) this.#to.end();
  }

  // limitData: the bytes went; FIN both ways (as Toxiproxy closes the connection) or RST once
  // the receiver's kernel acknowledged them.
  async #limitCut(toxic: ActiveToxic): Promise<void> {
    this.#cut = true;
    const then = toxic.type === 'limitData' ? toxic.then : 'fin';
    if (then === 'reset') {
      await flushed(this.#to);
      this.#connection.resetBoth();
    } else {
      this.#connection.endBoth();
    }
  }

  // The legacy `request`/`response` rules.
  async #ruleCut(): Promise<void> {
    const rule = this.#rule!;
    this.#cut = true;
    this.#connection.record.actions.push(`${this.#stream === 'upstream' ? 'request' : 'response'}-${rule.then}`);
    if (rule.then === 'silent') {
      try {
        blackhole(this.#from);
      } catch (error) {
        this.#connection.record.errors.push(`silent ${(error as NodeJS.ErrnoException).code}`);
      }
      return;
    }
    if (rule.then === 'fin') {
      if (!this.#to.destroyed) this.#to.end();
      return;
    }
    await flushed(this.#to);
    this.#connection.resetBoth();
  }
}

/** One proxied connection. */
export class ProxyConnection {
  readonly record: ProxyConnectionRecord;
  readonly toxics: ConnectionToxics;
  readonly origin: number;
  /** Resolves when both sockets are closed. */
  readonly closed: Promise<void>;
  readonly #client: net.Socket;
  readonly #upstream: net.Socket;
  readonly #plan: ProxyPlan;
  readonly #pumps: Pump[] = [];
  #idleTimer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;

  constructor(client: net.Socket, number: number, plan: ProxyPlan) {
    this.#client = client;
    this.#plan = plan;
    this.origin = plan.origin;
    this.record = {
      number,
      openedAt: this.#now(),
      requestBytes: 0,
      responseBytes: 0,
      droppedBytes: 0,
      actions: [],
      errors: [],
      toxics: [],
      maxBufferedBytes: { upstream: 0, downstream: 0 },
    };
    if (client.remoteAddress !== undefined) this.record.remoteAddress = client.remoteAddress;
    if (client.remotePort !== undefined) this.record.remotePort = client.remotePort;
    const upstream = net.connect({ host: plan.upstream.host, port: plan.upstream.port, allowHalfOpen: true, noDelay: true });
    // Nagle would hold a slice back until the previous one is ACKed: the proxy adds no delay of its own.
    client.setNoDelay(true);
    this.#upstream = upstream;
    this.closed = Promise.all([closedOf(client), closedOf(upstream)]).then(() => {
      this.record.closedAt = this.#now();
      this.toxics.dispose();
      clearTimeout(this.#idleTimer);
      clearTimeout(this.#connectTimer);
    });
    this.toxics = new ConnectionToxics(
      plan.toxics,
      plan.seed,
      number,
      this.record.toxics,
      plan.origin,
      {
        receiver: (stream) => {
          const socket = stream === 'upstream' ? client : upstream;
          return socket.destroyed || socket.connecting ? undefined : socket;
        },
        reset: () => this.resetBoth(),
        close: () => this.destroyBoth(),
      },
      plan.inherited ? ['upstream'] : [],
    );
    // From accept: a client that needs no filter loses the listener's at once, and resetPeer
    // counts from here.
    this.toxics.start();
    // A reset or error on one side is passed on to the other as a reset.
    client.on('error', (error: NodeJS.ErrnoException) =>
      this.guard(() => {
        this.record.errors.push(`client ${error.code}`);
        resetQuietly(upstream);
      }),
    );
    upstream.on('error', (error: NodeJS.ErrnoException) =>
      this.guard(() => {
        this.record.errors.push(`upstream ${error.code}`);
        resetQuietly(client);
      }),
    );
    this.#connectTimer = setTimeout(
      () =>
        this.guard(() => {
          if (!upstream.connecting) return;
          this.record.errors.push('upstream ETIMEDOUT');
          upstream.destroy();
          resetQuietly(client);
        }),
      plan.connectTimeout,
    );
    client.pause();
    upstream.once('connect', () =>
      this.guard(() => {
        clearTimeout(this.#connectTimer);
        this.touch();
        this.#pumps.push(
          new Pump(client, upstream, 'upstream', this, plan.request),
          new Pump(upstream, client, 'downstream', this, plan.response),
        );
        this.toxics.resync();
        client.resume();
      }),
    );
  }

  shaper(stream: ToxicStream) {
    return this.toxics.shaper(stream);
  }

  /** Runs a listener's body; whatever it throws is recorded, never thrown into the process. */
  guard(body: () => void): void {
    try {
      body();
    } catch (error) {
      this.internal(error);
    }
  }

  internal(error: unknown): void {
    this.record.errors.push(`internal ${String((error as { code?: unknown }).code ?? error)}`);
    this.resetBoth();
  }

  /** A toxic changed on the live proxy: acts on this connection now. */
  toxicChanged(kind: 'add' | 'update' | 'remove', toxic: ActiveToxic, before?: ActiveToxic): void {
    this.toxics.changed(kind, toxic, before);
    for (const pump of this.#pumps) pump.wake();
  }

  /** Restarts the idle timer (legacy `idleReset`). */
  touch(): void {
    if (this.#plan.idleReset === undefined) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(
      () =>
        this.guard(() => {
          this.record.actions.push('idle-reset');
          this.resetBoth();
        }),
      this.#plan.idleReset,
    );
  }

  resetBoth(): void {
    resetQuietly(this.#client);
    resetQuietly(this.#upstream);
  }

  endBoth(): void {
    for (const socket of [this.#client, this.#upstream]) if (!socket.destroyed) socket.end();
  }

  destroyBoth(): void {
    this.#client.destroy();
    this.#upstream.destroy();
  }

  #now(): number {
    return round(performance.now() - this.origin);
  }
}

function closedOf(socket: net.Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}
