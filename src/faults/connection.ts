/**
 * One connection played by a fault fixture: a RawSocket the library owns, what it read ahead
 * (an HTTP read may take more than one request), and the record. Each step is one syscall, so
 * "read exactly N bytes", "close with unread data" and "reset now" are decided by the kernel,
 * not approximated through a stream.
 */
import { performance } from 'node:perf_hooks';
import { blackhole } from '../raw/blackhole.js';
import type { RawFail, RawSocket } from '../raw/raw-socket.js';
import { httpResponse, HttpFramingError, requestEnd, requestLine } from './http.js';
import type { ConnectionEnd, ConnectionRecord, NormalizedStep, PlayedStep } from './steps.js';

const MAX_RECORDED = 1 << 20;
const CHUNK = 64 * 1024;
/** Bound on the reads of one step: each moves at least one byte or ends the step. */
const MAX_ITERATIONS = 100_000;

type Read = { ok: true; data: Buffer } | { ok: false; result: string; fail?: RawFail };

/** What one step did: its result, and how the connection ends if it ends here. */
interface StepResult {
  result: string;
  bytes?: number;
  end?: ConnectionEnd;
}

function endOf(fail: RawFail): ConnectionEnd {
  return fail.code === 'ECONNRESET' || fail.code === 'EPIPE' ? 'peer-reset' : 'error';
}

/**
 * One connection played by a fixture: a RawSocket, what it read ahead (an HTTP read may take
 * more than one request), and the record.
 */
export class Connection {
  readonly record: ConnectionRecord;
  /** Resolves when the steps are played and the socket is closed. */
  readonly done: Promise<ConnectionRecord>;
  #socket: RawSocket;
  #pending: Buffer = Buffer.alloc(0);
  #closed = false;
  #fixtureClosed = false;
  #wake: (() => void) | undefined;
  readonly #origin: number;
  readonly #stepTimeout: number;
  readonly #holdTimeout: number;

  constructor(
    socket: RawSocket,
    index: number,
    origin: number,
    steps: NormalizedStep[],
    options: { stepTimeout: number; holdTimeout: number },
  ) {
    this.#socket = socket;
    this.#origin = origin;
    this.#stepTimeout = options.stepTimeout;
    this.#holdTimeout = options.holdTimeout;
    const remote = socket.remoteAddress;
    this.record = {
      index,
      openedAt: this.#now(),
      bytesReceived: 0,
      bytesSent: 0,
      received: Buffer.alloc(0),
      requests: [],
      steps: [],
    };
    if (remote) {
      this.record.remoteAddress = remote.address;
      this.record.remotePort = remote.port;
    }
    const local = socket.localAddress;
    if (local) this.record.localPort = local.port;
    this.done = this.#play(steps).then(() => this.record);
  }

  /** Ends the connection from outside: RST (no TIME_WAIT left behind by a test fixture). */
  shutdown(): Promise<ConnectionRecord> {
    this.#fixtureClosed = true;
    if (!this.#closed) this.#finish('fixture-closed', 'reset');
    this.#wake?.();
    return this.done;
  }

  #now(): number {
    return Math.round((performance.now() - this.#origin) * 10) / 10;
  }

  #finish(end: ConnectionEnd, how: 'close' | 'reset'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.record.end ??= end;
    this.record.closedAt = this.#now();
    if (!this.#socket.closed) {
      if (how === 'reset') this.#socket.abort();
      else this.#socket.close();
    }
  }

  async #play(steps: NormalizedStep[]): Promise<void> {
    for (const step of steps) {
      if (this.#closed) return;
      const at = this.#now();
      const start = performance.now();
      let outcome: StepResult;
      try {
        outcome = await this.#run(step);
      } catch (error) {
        // A closed socket throws ERR_SOCKET_CLOSED: the fixture was closed under the step.
        if (this.#closed) return;
        throw error;
      }
      if (this.#fixtureClosed) return;
      const played: PlayedStep = { step, at, durationMs: Math.round(performance.now() - start), result: outcome.result };
      if (outcome.bytes !== undefined) played.bytes = outcome.bytes;
      this.record.steps.push(played);
      if (outcome.end !== undefined) {
        this.#finish(outcome.end, outcome.end === 'close' || outcome.end === 'peer-eof' ? 'close' : 'reset');
        return;
      }
    }
    if (!this.#closed) await this.#hold();
  }

  // After the last step the connection stays open, reading and recording, until the peer
  // ends it or the fixture is closed: a peer's FIN gets a close (FIN), its RST ends it too.
  async #hold(): Promise<void> {
    const deadline = performance.now() + this.#holdTimeout;
    for (let i = 0; i < MAX_ITERATIONS && !this.#closed; i++) {
      const remaining = Math.ceil(deadline - performance.now());
      if (remaining <= 0) return this.#finish('reset', 'reset');
      const read = await this.#readSome(CHUNK, remaining);
      if (this.#closed) return;
      if (!read.ok) {
        if (read.result === 'timeout') return this.#finish('reset', 'reset');
        return this.#finish(read.result === 'EOF' ? 'peer-eof' : read.fail ? endOf(read.fail) : 'error', 'close');
      }
    }
  }

  #take(data: Buffer): Buffer {
    this.record.bytesReceived += data.byteLength;
    const room = MAX_RECORDED - this.record.received.byteLength;
    if (room > 0) this.record.received = Buffer.concat([this.record.received, data.subarray(0, room)]);
    return data;
  }

  // Up to `max` bytes: what was read ahead first, else one recv.
  async #readSome(max: number, timeout: number): Promise<Read> {
    if (this.#pending.byteLength > 0) {
      const data = this.#pending.subarray(0, max);
      this.#pending = this.#pending.subarray(data.byteLength);
      return { ok: true, data };
    }
    const r = await this.#socket.recv(max, { timeout });
    if (!r.ok) {
      if (r.timedOut) return { ok: false, result: 'timeout' };
      if (r.cancelled) return { ok: false, result: 'cancelled' };
      return { ok: false, result: r.code, fail: r };
    }
    if (r.bytes === 0) return { ok: false, result: 'EOF' };
    return { ok: true, data: this.#take(Buffer.from(r.data)) };
  }

  #failed(read: Exclude<Read, { ok: true }>, bytes?: number): StepResult {
    const end: ConnectionEnd =
      read.result === 'EOF' ? 'peer-eof' : read.result === 'timeout' ? 'reset' : read.fail ? endOf(read.fail) : 'fixture-closed';
    return bytes === undefined ? { result: read.result, end } : { result: read.result, end, bytes };
  }

  async #readExactly(n: number): Promise<StepResult> {
    const deadline = performance.now() + this.#stepTimeout;
    let got = 0;
    for (let i = 0; i < MAX_ITERATIONS && got < n; i++) {
      const read = await this.#readSome(n - got, Math.max(0, Math.ceil(deadline - performance.now())));
      if (!read.ok) return this.#failed(read, got);
      got += read.data.byteLength;
    }
    return { result: 'ok', bytes: got };
  }

  async #sendAll(data: Uint8Array): Promise<StepResult> {
    const deadline = performance.now() + this.#stepTimeout;
    let sent = 0;
    for (let i = 0; i < MAX_ITERATIONS && sent < data.byteLength; i++) {
      const r = await this.#socket.send(data.subarray(sent), {
        timeout: Math.max(0, Math.ceil(deadline - performance.now())),
      });
      if (!r.ok) {
        if (r.timedOut) return { result: 'timeout', end: 'reset', bytes: sent };
        return { result: r.code, end: r.cancelled ? 'fixture-closed' : endOf(r), bytes: sent };
      }
      sent += r.bytes;
      this.record.bytesSent += r.bytes;
    }
    return { result: 'ok', bytes: sent };
  }

  // One HTTP/1.1 request, framed by http.ts. Bytes past the request stay read ahead for the
  // next step. A request that cannot be framed ends the connection with a reset.
  async #readRequest(): Promise<StepResult> {
    const deadline = performance.now() + this.#stepTimeout;
    let buffer = Buffer.alloc(0);
    for (let i = 0; i < MAX_ITERATIONS; i++) {
      let end: number;
      try {
        end = requestEnd(buffer);
      } catch (error) {
        if (error instanceof HttpFramingError) return { result: error.result, end: 'reset', bytes: buffer.byteLength };
        throw error;
      }
      if (end >= 0) {
        this.#pending = Buffer.concat([buffer.subarray(end), this.#pending]);
        this.record.requests.push(requestLine(buffer));
        return { result: 'ok', bytes: end };
      }
      const read = await this.#readSome(CHUNK, Math.max(0, Math.ceil(deadline - performance.now())));
      if (!read.ok) return this.#failed(read, buffer.byteLength);
      buffer = Buffer.concat([buffer, read.data]);
    }
    return { result: 'E2BIG', end: 'reset', bytes: buffer.byteLength };
  }

  async #resetWhenIdle(after: number | undefined): Promise<StepResult> {
    if (this.#pending.byteLength > 0) return { result: 'reused', end: 'reset' };
    const wait = Math.min(after ?? this.#holdTimeout, this.#holdTimeout);
    const read = await this.#readSome(1, wait);
    if (read.ok) return { result: 'reused', end: 'reset', bytes: 1 };
    if (read.result === 'timeout') return { result: 'idle', end: 'reset' };
    return this.#failed(read);
  }

  async #closeUnread(): Promise<StepResult> {
    if (this.#pending.byteLength === 0) {
      const ready = await this.#socket.readable(this.#stepTimeout);
      if (!ready) return { result: 'timeout', end: 'reset' };
    }
    // Whatever is queued, data or a FIN, is left unread: with data, close() sends RST.
    return { result: 'ok', end: 'close' };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #run(step: NormalizedStep): Promise<StepResult> {
    switch (step.do) {
      case 'reset':
        return { result: 'ok', end: 'reset' };
      case 'close':
        return { result: 'ok', end: 'close' };
      case 'close-unread':
        return this.#closeUnread();
      case 'fin': {
        const r = this.#socket.shutdown('write');
        return r.ok ? { result: 'ok' } : { result: r.code, end: endOf(r) };
      }
      case 'silent':
        blackhole(this.#socket);
        // Nothing arrives any more: hold the socket, unread, until the fixture closes.
        await this.#sleep(this.#holdTimeout);
        return { result: 'ok', end: 'reset' };
      case 'read':
        return this.#readExactly(step.bytes);
      case 'send':
        return this.#sendAll(typeof step.data === 'string' ? Buffer.from(step.data) : step.data);
      case 'wait':
        await this.#sleep(step.ms);
        return { result: 'ok' };
      case 'read-request':
        return this.#readRequest();
      case 'respond': {
        const request = await this.#readRequest();
        if (request.end !== undefined) return request;
        return this.#sendAll(httpResponse(step));
      }
      case 'reset-when-idle':
        return this.#resetWhenIdle(step.after);
      default:
        return { result: 'EINVAL', end: 'reset' };
    }
  }
}

