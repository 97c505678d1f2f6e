/**
 * Capture of the segments of this process's own sockets on the loopback interface: an AF_PACKET
 * socket bound to `lo`, a kernel filter that passes TCP between loopback addresses on the ports
 * of the sockets given (and nothing else), and a receive ring the kernel copies the headers into.
 * See packet(7), socket(7) `SO_ATTACH_FILTER`.
 */
import { performance } from 'node:perf_hooks';
import { codedError, explainPermission, HOW_TO_GET_CAP_NET_RAW, systemError, type ProbeResult } from '../controls/errors.js';
import { fdOf, type SocketLike } from '../controls/handle.js';
import { native } from '../controls/native.js';
import { invalidArgType, invalidArgValue, validateInteger, validateMs, validateObject } from '../controls/validate.js';
import { decodeFrames, type CapturedSegment } from './segment.js';

export interface CaptureOptions {
  /** Stop capturing after this many segments. Default 10 000. */
  maxSegments?: number;
  /** Stop capturing after this long, ms. Default 60 000. */
  maxMs?: number;
}

/** Why a capture stopped before close(): it reached `maxSegments` or `maxMs`. */
export type CaptureStop = 'segments' | 'time';

/** Why opening a packet socket can fail EPERM, and what to do about it. */
export const CAPTURE_EPERM =
  'capturing segments (an AF_PACKET socket bound to lo) needs CAP_NET_RAW in the network ' +
  'namespace. ' +
  HOW_TO_GET_CAP_NET_RAW;

const DEFAULT_MAX_SEGMENTS = 10_000;
const DEFAULT_MAX_MS = 60_000;
/** How often the ring is emptied while nobody asks: it holds 4096 frames meanwhile. */
const DRAIN_EVERY_MS = 50;

/**
 * performance.now() and process.hrtime() are both CLOCK_MONOTONIC (libuv's uv_hrtime), the clock
 * the addon converts frame times to: one offset maps one onto the other. Measured as the
 * tightest of a few bracketing reads, since the first calls are slow and a few µs of error would
 * put a segment before the syscall that sent it.
 */
function measureClockOffset(): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 16; i++) {
    const before = process.hrtime.bigint();
    const now = performance.now();
    const after = process.hrtime.bigint();
    const width = Number(after - before);
    if (width < best) {
      best = width;
      offset = now - Number(before + (after - before) / 2n) / 1e6;
    }
  }
  return offset;
}

const clockOffsetMs = measureClockOffset();
const toMs = (seconds: number, nanoseconds: number) => seconds * 1e3 + nanoseconds / 1e6 + clockOffsetMs;

// One read buffer for every capture: reads are synchronous, so it is never shared mid-read.
const readBuffer = new Uint8Array(64 * 1024);

/** Passed by Capture.open only: a Capture cannot be constructed from outside. */
const kToken: unique symbol = Symbol('sockctl.capture');

const finalizer = new FinalizationRegistry<number>((fd) => {
  try {
    native.rawIo.close(fd);
  } catch {
    // The environment is shutting down and has already closed it.
  }
});

/** A segment sockctl forged, to be recognised when the capture sees it arrive. */
export interface ForgedKey {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  flagBits: number;
}

/**
 * A running capture. Segments are collected while it runs (the kernel's ring is emptied every
 * 50 ms and whenever `segments` is read); `close()` ends it and keeps what it saw.
 */
export class Capture {
  #fd: number | undefined;
  readonly #segments: CapturedSegment[] = [];
  readonly #maxSegments: number;
  readonly #forged: ForgedKey[] = [];
  #dropped = 0;
  #malformed = 0;
  #stopped: CaptureStop | undefined;
  #timers: NodeJS.Timeout[] = [];

  /** @internal Use {@link Capture.open}. */
  private constructor(token: symbol, fd: number, maxSegments: number, maxMs: number) {
    if (token !== kToken) throw codedError('ERR_ILLEGAL_CONSTRUCTOR', 'Use Capture.open()');
    this.#fd = fd;
    this.#maxSegments = maxSegments;
    finalizer.register(this, fd, this);
    // Neither timer keeps the process alive, and neither keeps this object alive.
    const self = new WeakRef(this);
    const drain = setInterval(() => {
      const capture = self.deref();
      if (capture) capture.#drain();
    }, DRAIN_EVERY_MS);
    const stop = setTimeout(() => {
      const capture = self.deref();
      if (capture) capture.#stop('time');
    }, maxMs);
    drain.unref();
    stop.unref();
    this.#timers = [drain, stop];
  }

  /**
   * Starts capturing the segments to and from the local ports of `sockets` (1 to 16 bound TCP
   * sockets: RawSockets, net.Sockets, listening net.Servers), between loopback addresses only.
   *
   * @remarks Needs CAP_NET_RAW over the network namespace; without it this throws the kernel's
   * error (`code` `'EPERM'`, `syscall` `'socket'`, `option` `'AF_PACKET'`, `missing`
   * `'CAP_NET_RAW'`). Probe with {@link canCapture}. Each loopback segment passes `lo` twice;
   * the copy leaving is ignored (`PACKET_IGNORE_OUTGOING`). Only headers are copied, never
   * payload. See packet(7), https://man7.org/linux/man-pages/man7/packet.7.html
   */
  static open(sockets: SocketLike | readonly SocketLike[], options: CaptureOptions = {}): Capture {
    const list = Array.isArray(sockets) ? (sockets as readonly SocketLike[]) : [sockets as SocketLike];
    if (list.length < 1 || list.length > native.capture.constants.MAX_PORTS) {
      throw invalidArgValue('sockets', `1 to ${native.capture.constants.MAX_PORTS} sockets`, sockets);
    }
    const fds = list.map((socket, i) => fdOf(socket, `sockets[${i}]`));
    const o = validateObject(options, 'options');
    const maxSegments = o.maxSegments === undefined ? DEFAULT_MAX_SEGMENTS : validateInteger(o.maxSegments, 'options.maxSegments', 1, 1_000_000);
    const maxMs = validateMs(o.maxMs, 'options.maxMs', DEFAULT_MAX_MS);
    let fd: number;
    try {
      fd = native.capture.open(fds);
    } catch (error) {
      throw explainPermission(error, CAPTURE_EPERM, 'CAP_NET_RAW');
    }
    return new Capture(kToken, fd, maxSegments, maxMs);
  }

  /** Captures the local port of `socket` too (16 distinct ports at most). */
  add(socket: SocketLike): void {
    Capture.#brand(this);
    const fd = this.#open('add');
    native.capture.add(fd, [fdOf(socket)]);
  }

  /** The segments seen so far, oldest first (the ring is emptied first). */
  get segments(): readonly CapturedSegment[] {
    Capture.#brand(this);
    this.#drain();
    return this.#segments;
  }

  /** Copies the kernel dropped because the ring was full: segments missing from `segments`. */
  get dropped(): number {
    Capture.#brand(this);
    this.#drain();
    return this.#dropped;
  }

  /** Frames that did not hold a whole IP + TCP header (never expected from the kernel's filter). */
  get malformed(): number {
    Capture.#brand(this);
    return this.#malformed;
  }

  /** Why the capture stopped on its own: `'segments'` or `'time'`; undefined while running. */
  get stopped(): CaptureStop | undefined {
    Capture.#brand(this);
    return this.#stopped;
  }

  get closed(): boolean {
    Capture.#brand(this);
    return this.#fd === undefined;
  }

  /**
   * Resolves once no new segment has arrived for `quietMs` (default 10), at most after `maxMs`
   * (default 200): what a syscall set off on loopback (an ACK, an RST in answer) is then in.
   */
  async settle(options: { quietMs?: number; maxMs?: number } = {}): Promise<void> {
    Capture.#brand(this);
    const o = validateObject(options, 'options');
    const quietMs = validateMs(o.quietMs, 'options.quietMs', 10);
    const maxMs = validateMs(o.maxMs, 'options.maxMs', 200);
    const deadline = performance.now() + maxMs;
    let count = this.segments.length;
    let quietSince = performance.now();
    // Bounded by maxMs: one pass per ~2 ms.
    while (!this.closed && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const now = this.segments.length;
      if (now !== count) {
        count = now;
        quietSince = performance.now();
      } else if (performance.now() - quietSince >= quietMs) {
        return;
      }
    }
  }

  /** Marks the next captured segment matching `key` as forged (see raw/forge). */
  expectForged(key: ForgedKey): void {
    Capture.#brand(this);
    const k = validateObject(key, 'key');
    this.#forged.push({
      sourcePort: validateInteger(k.sourcePort, 'key.sourcePort', 0, 65535),
      destinationPort: validateInteger(k.destinationPort, 'key.destinationPort', 0, 65535),
      seq: validateInteger(k.seq, 'key.seq', 0, 2 ** 32 - 1),
      flagBits: validateInteger(k.flagBits, 'key.flagBits', 0, 255),
    });
  }

  /** Stops capturing and closes the packet socket; the segments seen stay readable. */
  close(): void {
    Capture.#brand(this);
    if (this.#fd === undefined) return;
    this.#drain();
    this.#release();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  static #brand(self: unknown): asserts self is Capture {
    if (typeof self !== 'object' || self === null || !(#segments in self)) {
      throw invalidArgType('this', 'an instance of Capture', self);
    }
  }

  #open(what: string): number {
    if (this.#fd === undefined) throw invalidArgType('this', `a running Capture (${what} after close)`, this);
    return this.#fd;
  }

  #drain(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    // Bounded: the ring holds FRAMES frames and each read takes hundreds.
    for (let i = 0; i < native.capture.constants.FRAMES; i++) {
      const used = native.capture.read(fd, readBuffer);
      if (used <= 0) break;
      const { segments, malformed } = decodeFrames(readBuffer, used, toMs);
      this.#malformed += malformed;
      for (const segment of segments) {
        if (this.#segments.length >= this.#maxSegments) {
          this.#stop('segments');
          return;
        }
        this.#tagForged(segment);
        this.#segments.push(segment);
      }
    }
    this.#dropped += native.capture.stats(fd)[1];
  }

  #tagForged(segment: CapturedSegment): void {
    const i = this.#forged.findIndex(
      (k) => k.sourcePort === segment.source.port && k.destinationPort === segment.destination.port && k.seq === segment.seq && k.flagBits === segment.flagBits,
    );
    if (i < 0) return;
    segment.forged = true;
    this.#forged.splice(i, 1);
  }

  #stop(why: CaptureStop): void {
    if (this.#fd === undefined) return;
    this.#stopped = why;
    if (why === 'time') this.#drain();
    this.#release();
  }

  #release(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    finalizer.unregister(this);
    native.rawIo.close(fd);
  }
}

/**
 * Probes whether {@link Capture.open} can work here: opens a packet socket and closes it. The
 * answer comes from the running kernel, not from the uid.
 *
 * @remarks `{ ok: false, code: 'EPERM', reason }` without CAP_NET_RAW over the network namespace
 * (as root, with the capability, or inside `sockctl-netns` it is there). See packet(7),
 * https://man7.org/linux/man-pages/man7/packet.7.html
 */
export function canCapture(): ProbeResult {
  const [errno, step] = native.capture.probe();
  if (errno === 0) return { ok: true };
  const { code } = systemError(errno, step);
  return { ok: false, code, reason: code === 'EPERM' ? CAPTURE_EPERM : `${step} ${code}: the kernel refused a packet socket.` };
}
