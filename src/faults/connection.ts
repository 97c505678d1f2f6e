/**
 * One connection played by a fault fixture: a RawSocket the library owns, what it read ahead
 * (an HTTP read may take more than one request), and the record. Each step is one syscall, so
 * "read exactly N bytes", "close with unread data" and "reset now" are decided by the kernel,
 * not approximated through a stream. Reads are bounded chunks whatever a step asks for, and
 * the fault server's toxics act on them (connection-toxics.ts).
 */
import { performance } from 'node:perf_hooks';
import { native } from '../controls/native.js';
import { blackhole } from '../raw/blackhole.js';
import type { RawFail, RawSocket } from '../raw/raw-socket.js';
import { ConnectionToxics } from './connection-toxics.js';
import { Sleeper } from './sleeper.js';
import { httpResponse, HttpFramingError, MALFORMED_CHUNK_RESPONSE, randomData, RequestFramer } from './http.js';
import {
  newRecord,
  type ConnectionEnd,
  type ConnectionRecord,
  type HttpFault,
  type NormalizedStep,
  type PlayedStep,
} from './steps.js';
import { pushEvent, round, unitRandom, type ActiveToxic, type Plan, type ToxicSet } from './toxics.js';

/** Largest single read: a `read:N` step of any N holds at most this much at once. */
export const READ_CHUNK = 64 * 1024;
/** Bound on the reads of one step: each moves at least one byte or ends the step. */
const MAX_ITERATIONS = 10_000_000;
/** Bytes of random data for `random-data-then-close`. */
const RANDOM_BYTES = 512;

type Read = { ok: true; data: Buffer; cut?: ActiveToxic } | { ok: false; result: string; fail?: RawFail };

/** What one step did: its result, and how the connection ends if it ends here. */
interface StepResult {
  result: string;
  bytes?: number;
  end?: ConnectionEnd;
  fault?: HttpFault | number;
}

function endOf(fail: RawFail): ConnectionEnd {
  return fail.code === 'ECONNRESET' || fail.code === 'EPIPE' ? 'peer-reset' : 'error';
}

/** How the fixture runs a connection. */
export interface ConnectionOptions {
  stepTimeout: number;
  holdTimeout: number;
  /** Bytes of `received` kept. */
  recordBytes: number;
  /** The fault server's toxics; a faultClient has none. */
  toxics?: { set: ToxicSet; seed: number; inherited: boolean };
  /** The fault a `respond` step plays instead, while the server's `failFirst` lasts. */
  failFirst?: () => HttpFault | number | undefined;
}

/**
 * One connection played by a fixture: a RawSocket, what it read ahead (an HTTP read may take
 * more than one request), and the record.
 */
export class Connection {
  readonly record: ConnectionRecord;
  /** Resolves when the steps are played and the socket is closed; never rejects. */
  readonly done: Promise<ConnectionRecord>;
  #socket: RawSocket;
  #pending: Buffer = Buffer.alloc(0);
  #closed = false;
  #stopped = false;
  readonly #sleeper = new Sleeper();
  readonly #origin: number;
  readonly #options: ConnectionOptions;
  readonly #toxics: ConnectionToxics | undefined;

  constructor(socket: RawSocket, index: number, origin: number, steps: NormalizedStep[], options: ConnectionOptions) {
    this.#socket = socket;
    this.#origin = origin;
    this.#options = options;
    this.record = newRecord(index, this.#now(), socket);
    const toxics = options.toxics;
    if (toxics) {
      this.#toxics = new ConnectionToxics(
        toxics.set,
        toxics.seed,
        index + 1,
        this.record.toxics,
        origin,
        {
          receiver: (stream) => (stream === 'upstream' && !this.#socket.closed ? this.#socket : undefined),
          reset: () => this.#stop('reset', 'reset'),
          close: () => this.#stop('close', 'close'),
          silenceChanged: () => this.#silenceChanged(),
        },
        toxics.inherited ? ['upstream'] : [],
      );
      if (steps[0]?.do === 'silent') this.#toxics.pinSilent('upstream');
      this.#toxics.start();
    }
    this.done = this.#play(steps)
      .catch((error: unknown) => {
        // A defect here must not become an unhandled rejection in the user's process.
        this.record.errors.push(String((error as { code?: unknown }).code ?? error));
        this.#finish('error', 'reset');
      })
      .then(() => {
        this.#toxics?.dispose();
        return this.record;
      });
  }

  /** Ends the connection from outside: RST (no TIME_WAIT left behind by a test fixture). */
  shutdown(): Promise<ConnectionRecord> {
    this.#stop('fixture-closed', 'reset');
    return this.done;
  }

  /** Resets the connection now (RST); its record ends `'reset'`. */
  reset(): Promise<ConnectionRecord> {
    this.#stop('reset', 'reset');
    return this.done;
  }

  /** A toxic of the live fixture changed: acts on this open connection too. */
  toxicChanged(kind: 'add' | 'update' | 'remove', toxic: ActiveToxic, before?: ActiveToxic): void {
    if (!this.#closed) this.#toxics?.changed(kind, toxic, before);
  }

  #stop(end: ConnectionEnd, how: 'close' | 'reset'): void {
    this.#stopped = true;
    if (!this.#closed) this.#finish(end, how);
    this.#wakeAll();
  }

  #wakeAll(): void {
    this.#sleeper.wakeAll();
  }

  #now(): number {
    return round(performance.now() - this.#origin);
  }

  #finish(end: ConnectionEnd, how: 'close' | 'reset'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.record.end ??= end;
    this.record.closedAt = this.#now();
    this.#toxics?.dispose();
    if (!this.#socket.closed) {
      if (how === 'reset') this.#socket.abort();
      else this.#socket.close();
    }
  }

  // A FIN the fixture sends (close, fin, the close after the peer's EOF) waits for slowClose.
  async #slowClose(): Promise<void> {
    const slow = this.#toxics?.slowClose('downstream');
    if (!slow?.toxic || slow.delay === 0) return;
    const start = performance.now();
    await this.#sleep(slow.delay);
    this.#toxics!.event(slow.toxic, 'slow-close', { plannedMs: slow.delay, delayMs: round(performance.now() - start) });
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
        // A closed socket throws ERR_SOCKET_CLOSED: the fixture or a toxic closed it under the step.
        if (this.#closed) return;
        throw error;
      }
      if (this.#stopped) return;
      const played: PlayedStep = { step, at, durationMs: Math.round(performance.now() - start), result: outcome.result };
      if (outcome.bytes !== undefined) played.bytes = outcome.bytes;
      if (outcome.fault !== undefined) played.fault = outcome.fault;
      this.record.steps.push(played);
      if (outcome.end !== undefined) {
        const how = outcome.end === 'close' || outcome.end === 'peer-eof' ? 'close' : 'reset';
        if (how === 'close') await this.#slowClose();
        this.#finish(outcome.end, how);
        return;
      }
    }
    if (!this.#closed) await this.#hold();
  }

  // After the last step the connection stays open, reading and recording, until the peer
  // ends it or the fixture is closed: a peer's FIN gets a close (FIN), its RST ends it too.
  async #hold(): Promise<void> {
    const deadline = performance.now() + this.#options.holdTimeout;
    for (let i = 0; i < MAX_ITERATIONS && !this.#closed; i++) {
      if (performance.now() >= deadline) return this.#finish('reset', 'reset');
      const read = await this.#readSome(READ_CHUNK, deadline);
      if (this.#closed) return;
      if (read.ok && read.cut) return this.#cut(read.cut);
      if (!read.ok) {
        if (read.result === 'timeout') return this.#finish('reset', 'reset');
        const end = read.result === 'EOF' ? 'peer-eof' : read.fail ? endOf(read.fail) : 'error';
        if (end === 'peer-eof') await this.#slowClose();
        return this.#finish(end, 'close');
      }
    }
  }

  async #cut(toxic: ActiveToxic): Promise<void> {
    const reset = toxic.type === 'limitData' && toxic.then === 'reset';
    if (!reset) await this.#slowClose();
    this.#finish(reset ? 'reset' : 'close', reset ? 'reset' : 'close');
  }

  #take(data: Buffer): void {
    this.record.bytesReceived += data.byteLength;
    const room = this.#options.recordBytes - this.record.received.byteLength;
    if (room > 0) this.record.received = Buffer.concat([this.record.received, data.subarray(0, room)]);
  }

  // Waits while the upstream stream is silenced (a timeout toxic): a silent peer neither reads
  // nor sends, and its steps do not time out meanwhile. Returns the time spent, ms.
  async #whileSilent(): Promise<number> {
    const start = performance.now();
    for (let i = 0; i < MAX_ITERATIONS && !this.#closed && this.#toxics?.silenced('upstream'); i++) {
      await this.#sleep(this.#options.holdTimeout);
    }
    return performance.now() - start;
  }

  // Silence began or ended: wakes the sleeps and the readiness waits in flight, so each step
  // looks again (a wait cancelled this way is retried, not taken for a closed socket).
  #silenceChanged(): void {
    this.#wakeAll();
    if (!this.#socket.closed) native.poll.cancel(this.#socket.fd);
  }

  // Up to `max` bytes: what was read ahead first, else one recv of at most READ_CHUNK, waiting
  // until `deadline` (performance.now() time; a silence pushes it back by its length). The
  // upstream toxics act on what was read: latency and bandwidth hold it, limitData cuts.
  async #readSome(max: number, deadline: number): Promise<Read> {
    if (this.#pending.byteLength > 0) {
      const data = this.#pending.subarray(0, max);
      this.#pending = this.#pending.subarray(data.byteLength);
      return { ok: true, data };
    }
    const shaper = this.#toxics?.shaper('upstream');
    for (let i = 0; i < MAX_ITERATIONS; i++) {
      deadline += await this.#whileSilent();
      if (this.#closed) return { ok: false, result: 'cancelled' };
      const remaining = Math.max(0, Math.ceil(deadline - performance.now()));
      const size = Math.min(max, READ_CHUNK, shaper ? shaper.readSize(READ_CHUNK) : READ_CHUNK);
      const r = await this.#socket.recv(size, { timeout: remaining });
      if (!r.ok) {
        if (r.timedOut) return { ok: false, result: 'timeout' };
        if (r.cancelled && !this.#closed) continue;
        if (r.cancelled) return { ok: false, result: 'cancelled' };
        return { ok: false, result: r.code, fail: r };
      }
      if (r.bytes === 0) return { ok: false, result: 'EOF' };
      // recv's buffer is its own, sized by `size`: keep only what arrived.
      const data = r.data;
      this.#take(data);
      if (!shaper?.active()) return { ok: true, data };
      const plan = shaper.plan(data);
      await this.#deliver(plan, async () => undefined);
      const kept = Buffer.concat(plan.pieces.map((p) => p.data));
      return plan.cut ? { ok: true, data: kept, cut: plan.cut.toxic } : { ok: true, data: kept };
    }
    return { ok: false, result: 'timeout' };
  }

  // Plays a plan: waits for each piece's time, hands it to `send`, then completes the events
  // with when the last byte went and the delay measured from the chunk's arrival.
  async #deliver(plan: Plan, send: (piece: Buffer) => Promise<StepResult | undefined>): Promise<StepResult | undefined> {
    for (const piece of plan.pieces) {
      await this.#sleeper.until(piece.at, () => this.#closed);
      if (this.#closed) return { result: 'cancelled', end: 'fixture-closed' };
      const failed = await send(piece.data);
      if (failed) return failed;
    }
    const at = this.#now();
    const delayMs = round(performance.now() - plan.arrival);
    for (const event of plan.events) {
      event.at = at;
      event.delayMs = delayMs;
      pushEvent(this.record.toxics, event);
    }
    return undefined;
  }

  #failed(read: Exclude<Read, { ok: true }>, bytes?: number): StepResult {
    const end: ConnectionEnd =
      read.result === 'EOF' ? 'peer-eof' : read.result === 'timeout' ? 'reset' : read.fail ? endOf(read.fail) : 'fixture-closed';
    return bytes === undefined ? { result: read.result, end } : { result: read.result, end, bytes };
  }

  #deadline(): number {
    return performance.now() + this.#options.stepTimeout;
  }

  async #readExactly(n: number): Promise<StepResult> {
    const deadline = this.#deadline();
    let got = 0;
    for (let i = 0; i < MAX_ITERATIONS && got < n; i++) {
      const read = await this.#readSome(Math.min(n - got, READ_CHUNK), deadline);
      if (!read.ok) return this.#failed(read, got);
      got += read.data.byteLength;
      if (read.cut) return this.#cutResult(read.cut, got);
    }
    return { result: 'ok', bytes: got };
  }

  #cutResult(toxic: ActiveToxic, bytes: number): StepResult {
    const reset = toxic.type === 'limitData' && toxic.then === 'reset';
    return { result: 'limit-data', end: reset ? 'reset' : 'close', bytes };
  }

  async #sendRaw(data: Buffer, deadline: number, sent: { bytes: number }): Promise<StepResult | undefined> {
    for (let i = 0; i < MAX_ITERATIONS && data.byteLength > 0; i++) {
      deadline += await this.#whileSilent();
      if (this.#closed) return { result: 'cancelled', end: 'fixture-closed', bytes: sent.bytes };
      const r = await this.#socket.send(data, { timeout: Math.max(0, Math.ceil(deadline - performance.now())) });
      if (!r.ok) {
        if (r.timedOut) return { result: 'timeout', end: 'reset', bytes: sent.bytes };
        if (r.cancelled && !this.#closed) continue;
        return { result: r.code, end: r.cancelled ? 'fixture-closed' : endOf(r), bytes: sent.bytes };
      }
      sent.bytes += r.bytes;
      this.record.bytesSent += r.bytes;
      data = data.subarray(r.bytes);
    }
    return undefined;
  }

  // Sends all of `data` through the downstream toxics (latency, bandwidth, slicer hold it;
  // limitData cuts the connection once its bytes went).
  async #sendAll(data: Uint8Array): Promise<StepResult> {
    const deadline = this.#deadline();
    const sent = { bytes: 0 };
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const shaper = this.#toxics?.shaper('downstream');
    if (!shaper?.active()) return (await this.#sendRaw(bytes, deadline, sent)) ?? { result: 'ok', bytes: sent.bytes };
    for (let at = 0; at < bytes.byteLength; at += READ_CHUNK) {
      const plan = shaper.plan(bytes.subarray(at, at + READ_CHUNK));
      const failed = await this.#deliver(plan, (piece) => this.#sendRaw(piece, deadline, sent));
      if (failed) return failed;
      if (plan.cut) return this.#cutResult(plan.cut.toxic, sent.bytes);
    }
    return { result: 'ok', bytes: sent.bytes };
  }

  // One HTTP/1.1 request, framed as it arrives (http.ts): the head is kept, the body counted.
  // Bytes past the request stay read ahead for the next step. A request that cannot be framed
  // ends the connection with a reset.
  async #readRequest(): Promise<StepResult> {
    const deadline = this.#deadline();
    const framer = new RequestFramer();
    let bytes = 0;
    for (let i = 0; i < MAX_ITERATIONS; i++) {
      const read = await this.#readSome(READ_CHUNK, deadline);
      if (!read.ok) return this.#failed(read, bytes);
      let used: number;
      try {
        used = framer.push(read.data);
      } catch (error) {
        if (error instanceof HttpFramingError) return { result: error.result, end: 'reset', bytes: bytes + read.data.byteLength };
        throw error;
      }
      bytes += used;
      if (framer.done) {
        this.#pending = Buffer.concat([read.data.subarray(used), this.#pending]);
        this.record.requests.push(framer.requestLine);
        return { result: 'ok', bytes };
      }
      if (read.cut) return this.#cutResult(read.cut, bytes);
    }
    return { result: 'E2BIG', end: 'reset', bytes };
  }

  async #resetWhenIdle(after: number | undefined): Promise<StepResult> {
    if (this.#pending.byteLength > 0) return { result: 'reused', end: 'reset' };
    const wait = Math.min(after ?? this.#options.holdTimeout, this.#options.holdTimeout);
    const read = await this.#readSome(1, performance.now() + wait);
    if (read.ok) return { result: 'reused', end: 'reset', bytes: 1 };
    if (read.result === 'timeout') return { result: 'idle', end: 'reset' };
    return this.#failed(read);
  }

  async #closeUnread(): Promise<StepResult> {
    if (this.#pending.byteLength === 0) {
      const ready = await this.#socket.readable(this.#options.stepTimeout);
      if (!ready) return { result: 'timeout', end: 'reset' };
    }
    // Whatever is queued, data or a FIN, is left unread: with data, close() sends RST.
    return { result: 'ok', end: 'close' };
  }

  #sleep(ms: number): Promise<void> {
    return this.#sleeper.sleep(ms);
  }

  // A fault played where a response was due (WireMock's four, or a status under failFirst).
  async #fault(fault: HttpFault | number): Promise<StepResult> {
    const outcome = (result: StepResult): StepResult => ({ ...result, fault });
    if (typeof fault === 'number') {
      const sent = await this.#sendAll(httpResponse({ status: fault, body: '' }));
      return outcome(sent);
    }
    switch (fault) {
      case 'connection-reset-by-peer':
        return outcome({ result: 'ok', end: 'reset' });
      case 'empty-response':
        return outcome({ result: 'ok', end: 'close', bytes: 0 });
      case 'malformed-response-chunk': {
        const sent = await this.#sendAll(MALFORMED_CHUNK_RESPONSE);
        return outcome(sent.end ? sent : { ...sent, end: 'close' });
      }
      case 'random-data-then-close': {
        const seed = this.#options.toxics?.seed ?? 0;
        const data = randomData(RANDOM_BYTES, (i) =>
          unitRandom(seed, this.record.index + 1, 'random-data', this.record.requests.length, i),
        );
        const sent = await this.#sendAll(data);
        return outcome(sent.end ? sent : { ...sent, end: 'close' });
      }
    }
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
        await this.#slowClose();
        const r = this.#socket.shutdown('write');
        return r.ok ? { result: 'ok' } : { result: r.code, end: endOf(r) };
      }
      case 'silent':
        if (this.#toxics) this.#toxics.pinSilent('upstream');
        else blackhole(this.#socket);
        // Nothing arrives any more: hold the socket, unread, until the fixture closes.
        await this.#sleep(this.#options.holdTimeout);
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
        const fault = this.#options.failFirst?.();
        if (fault !== undefined) return this.#fault(fault);
        return this.#sendAll(httpResponse(step));
      }
      case 'reset-when-idle':
        return this.#resetWhenIdle(step.after);
      case 'connection-reset-by-peer':
      case 'empty-response':
      case 'malformed-response-chunk':
      case 'random-data-then-close': {
        const request = await this.#readRequest();
        if (request.end !== undefined) return request;
        return this.#fault(step.do);
      }
      default:
        return { result: 'EINVAL', end: 'reset' };
    }
  }
}
