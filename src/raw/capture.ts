/**
 * Capture of the segments of this process's own sockets on the loopback interface: an AF_PACKET
 * socket bound to `lo`, a kernel filter that passes TCP between loopback addresses on the ports
 * of the sockets given (and nothing else), and a receive ring the kernel copies the headers into.
 * See packet(7), socket(7) `SO_ATTACH_FILTER`.
 *
 * Every Capture of a process shares one packet socket: opening one (its ring) and closing one
 * each cost the kernel an RCU grace period, tens of milliseconds during which the event loop would
 * be blocked — per scenario, that was most of a quick case's time. A Capture adds its sockets'
 * ports to the shared filter and takes them off again; the socket is closed 200 ms after the last
 * Capture, so back-to-back runs reuse it.
 */
import { performance } from 'node:perf_hooks';
import { performanceOffsetMs, realtimeOffset, stampToMs } from './clock.js';
import { codedError, explainPermission, HOW_TO_GET_CAP_NET_RAW, probeAnswer, type ProbeResult } from '../controls/errors.js';
import { fdOf, type SocketLike } from '../controls/handle.js';
import { native } from '../controls/native.js';
import { invalidArgType, invalidArgValue, validateInteger, validateMs, validateObject } from '../controls/validate.js';
import { decodeFrames, type CapturedSegment, type SegmentEnd } from './segment.js';

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
/** How long the shared packet socket outlives the last Capture. */
const LINGER_MS = 200;

const performanceMs = performanceOffsetMs();

// One read buffer for the process: reads are synchronous, so it is never shared mid-read.
const readBuffer = new Uint8Array(64 * 1024);

/** A segment sockctl forged, to be recognised when the capture sees it arrive. */
export interface ForgedKey {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  flagBits: number;
}

/** The process's packet socket and the Captures reading from it. */
class Tap {
  readonly fd: number;
  readonly captures = new Set<Capture>();
  /** Copies the kernel dropped since the tap opened. */
  dropped = 0;
  #drain: NodeJS.Timeout;
  #linger: NodeJS.Timeout | undefined;

  constructor() {
    let fd: number;
    try {
      fd = native.capture.open();
    } catch (error) {
      throw explainPermission(error, CAPTURE_EPERM, 'CAP_NET_RAW');
    }
    this.fd = fd;
    this.#drain = setInterval(() => this.drain(), DRAIN_EVERY_MS);
    this.#drain.unref();
  }

  /** Reads the ring and hands each segment to the Captures whose ports it carries. */
  drain(): void {
    // The frames' realtime stamps are mapped once per drain that finds any: realtime can be
    // stepped, but not in the few ms a frame waits.
    let toMs: ((seconds: number, nanoseconds: number) => number) | undefined;
    // Bounded: the ring holds FRAMES frames and each read takes hundreds.
    for (let i = 0; i < native.capture.constants.FRAMES; i++) {
      const used = native.capture.read(this.fd, readBuffer);
      if (used <= 0) break;
      toMs ??= stampToMs(realtimeOffset(native.capture.clockSample), performanceMs);
      const { segments, malformed } = decodeFrames(readBuffer, used, toMs);
      for (const capture of this.captures) capture[kTake](segments, malformed);
    }
    this.dropped += native.capture.stats(this.fd)[1];
  }

  join(capture: Capture): void {
    clearTimeout(this.#linger);
    this.#linger = undefined;
    this.captures.add(capture);
  }

  /** Takes `capture` off; the last one out closes the socket after LINGER_MS. */
  leave(capture: Capture, ports: number[]): void {
    this.captures.delete(capture);
    if (ports.length > 0) native.capture.remove(this.fd, ports);
    this.lingerIfIdle();
  }

  /** With no capture left (the last left, or the first failed to open), closes after LINGER_MS. */
  lingerIfIdle(): void {
    if (this.captures.size > 0 || this.#linger !== undefined) return;
    this.#linger = setTimeout(() => this.close(), LINGER_MS);
    this.#linger.unref();
  }

  /** Run by the linger timer only, which join() cancels: no capture uses this tap any more. */
  close(): void {
    tap = undefined;
    clearInterval(this.#drain);
    native.rawIo.close(this.fd);
  }
}

let tap: Tap | undefined;

/** Passed by Capture.open only: a Capture cannot be constructed from outside. */
const kToken: unique symbol = Symbol('sockctl.capture');
/** How the tap hands a Capture what it read. */
const kTake: unique symbol = Symbol('sockctl.capture.take');

/**
 * A running capture. Segments are collected while it runs (the kernel's ring is emptied every
 * 50 ms and whenever `segments` is read); `close()` ends it and keeps what it saw.
 */
/**
 * A socket's local end as getsockname(2) gives it: the address (a v4-mapped one as the IPv4
 * packets carry it) and port. A wildcard address ('0.0.0.0', '::') owns the port on every
 * address of its family ('::' also IPv4, being dual-stack unless V6ONLY; on loopback that
 * over-matches nothing this process does not own).
 */
interface OwnedEnd {
  address: string;
  port: number;
}

/**
 * The kernel's getsockname(2) of a socket this process holds (never Node's cached address(),
 * which is empty while a net.Socket connects); the addon gives a v4-mapped address as the IPv4
 * one the packets carry.
 */
function ownedEnd(fd: number): OwnedEnd {
  const [address, port] = native.capture.localEnd(fd);
  return { address, port };
}

function owns(end: OwnedEnd, segmentEnd: SegmentEnd, family: 4 | 6): boolean {
  if (end.port !== segmentEnd.port) return false;
  if (end.address === '::') return true;
  if (end.address === '0.0.0.0') return family === 4;
  return end.address === segmentEnd.address;
}

export class Capture {
  #tap: Tap | undefined;
  readonly #ports: number[] = [];
  // The kernel filter passes the ports; these keep only the owned sockets' own ends (another
  // process's socket may hold the same port number on another address or family).
  readonly #ends: OwnedEnd[] = [];
  readonly #segments: CapturedSegment[] = [];
  readonly #forged: ForgedKey[] = [];
  readonly #maxSegments: number;
  readonly #openedAt: number;
  readonly #droppedAtOpen: number;
  #dropped = 0;
  #malformed = 0;
  #stopped: CaptureStop | undefined;
  #stop: NodeJS.Timeout;

  /** @internal Use {@link Capture.open}. */
  private constructor(token: symbol, shared: Tap, fds: number[], ends: OwnedEnd[], maxSegments: number, maxMs: number) {
    if (token !== kToken) throw codedError('ERR_ILLEGAL_CONSTRUCTOR', 'Use Capture.open()');
    // What the ring holds from before this capture is someone else's.
    shared.drain();
    this.#openedAt = performance.now();
    this.#ports.push(...native.capture.add(shared.fd, fds));
    this.#ends.push(...ends);
    this.#tap = shared;
    this.#droppedAtOpen = shared.dropped;
    this.#maxSegments = maxSegments;
    shared.join(this);
    // Unref'd: a capture never keeps the process alive. It bounds this capture's life.
    this.#stop = setTimeout(() => this.#end('time'), maxMs);
    this.#stop.unref();
  }

  /**
   * Starts capturing the segments to and from the local ends of `sockets` (1 to 200 bound TCP
   * sockets: RawSockets, net.Sockets, listening net.Servers), between loopback addresses only.
   * The kernel's filter passes their ports; a segment is kept only when one of its ends is the
   * address and port of one of these sockets (a socket of another process may hold the same
   * port number on another address or family).
   *
   * @remarks Needs CAP_NET_RAW over the network namespace; without it this throws the kernel's
   * error (`code` `'EPERM'`, `syscall` `'socket'`, `option` `'AF_PACKET'`, `missing`
   * `'CAP_NET_RAW'`). Probe with {@link canCapture}. Each loopback segment passes `lo` twice;
   * the copy leaving is ignored (`PACKET_IGNORE_OUTGOING`). Only headers are copied, never
   * payload. The captures of a process share one packet socket (closed 200 ms after the last
   * one). See packet(7), https://man7.org/linux/man-pages/man7/packet.7.html
   */
  static open(sockets: SocketLike | readonly SocketLike[], options: CaptureOptions = {}): Capture {
    const list = Array.isArray(sockets) ? (sockets as readonly SocketLike[]) : [sockets as SocketLike];
    const max = native.capture.constants.MAX_PORTS;
    if (list.length < 1 || list.length > max) throw invalidArgValue('sockets', `1 to ${max} sockets`, sockets);
    const fds = list.map((socket, i) => fdOf(socket, `sockets[${i}]`));
    const o = validateObject(options, 'options');
    const maxSegments =
      o.maxSegments === undefined ? DEFAULT_MAX_SEGMENTS : validateInteger(o.maxSegments, 'options.maxSegments', 1, 1_000_000);
    const maxMs = validateMs(o.maxMs, 'options.maxMs', DEFAULT_MAX_MS);
    // Before any packet socket: a socket whose address cannot be read fails here.
    const ends = fds.map(ownedEnd);
    const shared = (tap ??= new Tap());
    try {
      return new Capture(kToken, shared, fds, ends, maxSegments, maxMs);
    } catch (error) {
      shared.lingerIfIdle(); // a packet socket opened for this call is not kept
      throw error;
    }
  }

  /** Captures the local port of `socket` too (200 distinct ports at most per process). */
  add(socket: SocketLike): void {
    Capture.#brand(this);
    const shared = this.#tap;
    if (shared === undefined) throw codedError('ERR_SOCKCTL_CAPTURE_CLOSED', 'The capture is closed');
    const fd = fdOf(socket);
    const end = ownedEnd(fd);
    this.#ports.push(...native.capture.add(shared.fd, [fd]));
    this.#ends.push(end);
  }

  /** The segments seen so far, oldest first (the ring is emptied first). */
  get segments(): readonly CapturedSegment[] {
    Capture.#brand(this);
    this.#tap?.drain();
    return this.#segments;
  }

  /** Copies the kernel dropped while this capture ran (its ring was full): segments that may be missing. */
  get dropped(): number {
    Capture.#brand(this);
    if (this.#tap) {
      this.#tap.drain();
      return this.#tap.dropped - this.#droppedAtOpen;
    }
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
    return this.#tap === undefined;
  }

  /**
   * Resolves once no new segment has arrived for `quietMs` (default 5), at most after `maxMs`
   * (default 200): what a syscall set off on loopback (an ACK, an RST in answer) is then in.
   */
  async settle(options: { quietMs?: number; maxMs?: number } = {}): Promise<void> {
    Capture.#brand(this);
    const o = validateObject(options, 'options');
    const quietMs = validateMs(o.quietMs, 'options.quietMs', 5);
    const maxMs = validateMs(o.maxMs, 'options.maxMs', 200);
    const deadline = performance.now() + maxMs;
    let count = this.segments.length;
    let quietSince = performance.now();
    // Bounded by maxMs: one pass per ~1 ms.
    while (!this.closed && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
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

  /** Stops capturing and gives its ports back; the segments seen stay readable. */
  close(): void {
    Capture.#brand(this);
    this.#tap?.drain();
    this.#end(undefined);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal The tap's segments: this capture keeps those on its ports since it opened. */
  [kTake](segments: readonly CapturedSegment[], malformed: number): void {
    this.#malformed += malformed;
    for (const segment of segments) {
      if (this.#tap === undefined) return;
      if (segment.at < this.#openedAt) continue;
      const f = segment.family;
      if (!this.#ends.some((end) => owns(end, segment.source, f) || owns(end, segment.destination, f))) continue;
      if (this.#segments.length >= this.#maxSegments) {
        this.#end('segments');
        return;
      }
      this.#segments.push(this.#tagForged({ ...segment }));
    }
  }

  static #brand(self: unknown): asserts self is Capture {
    if (typeof self !== 'object' || self === null || !(#segments in self)) {
      throw invalidArgType('this', 'an instance of Capture', self);
    }
  }

  #tagForged(segment: CapturedSegment): CapturedSegment {
    const i = this.#forged.findIndex(
      (k) =>
        k.sourcePort === segment.source.port &&
        k.destinationPort === segment.destination.port &&
        k.seq === segment.seq &&
        k.flagBits === segment.flagBits,
    );
    if (i >= 0) {
      segment.forged = true;
      this.#forged.splice(i, 1);
    }
    return segment;
  }

  #end(why: CaptureStop | undefined): void {
    const shared = this.#tap;
    if (shared === undefined) return;
    if (why === 'time') shared.drain();
    this.#stopped = why;
    this.#dropped = shared.dropped - this.#droppedAtOpen;
    this.#tap = undefined;
    clearTimeout(this.#stop);
    shared.leave(this, this.#ports.splice(0));
  }
}

/**
 * Probes whether {@link Capture.open} can work here: opens a packet socket and closes it. The
 * answer comes from the running kernel, not from the uid.
 *
 * @remarks `{ ok: false, code: 'EPERM', reason }` without CAP_NET_RAW over the network namespace
 * (as root, with the capability, or inside `sockctl-netns` it is there). While a capture runs the
 * answer is yes without asking again. See packet(7),
 * https://man7.org/linux/man-pages/man7/packet.7.html
 */
export function canCapture(): ProbeResult {
  // The shared socket is open: the kernel said yes when it was made, and a packet socket keeps
  // working once made. Probing again would cost a grace period on close (see the top).
  if (tap) return { ok: true };
  const [errno, step] = native.capture.probe();
  return probeAnswer(errno, step, CAPTURE_EPERM, 'the kernel refused a packet socket.');
}
