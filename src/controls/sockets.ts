/**
 * Every TCP socket of this process at a glance, from the kernel's own tables: one
 * NETLINK_SOCK_DIAG dump (inet_diag with INET_DIAG_INFO, sock_diag(7)) read by the addon through
 * one fixed-size buffer into one ArrayBuffer of records. Each entry reads its fields from that
 * buffer; its tcp_info is decoded on first access, by the same decoder as {@link tcpInfo}.
 */
import { inspect, type InspectOptions } from 'node:util';
import type { ProbeResult } from './errors.js';
import { formatIPv4, formatIPv6 } from './address.js';
import { native, type NativeRecords } from './native.js';
import { decodeTcpInfoView, TCP_STATES, type TcpInfo, type TcpState } from './tcp-info.js';
import { invalidArgType, outOfRange, validateFamily, validateObject, validateOneOf, validatePort } from './validate.js';

/** The timer the kernel has running on a socket (inet_diag's idiag_timer). */
export type SocketTimer = 'retransmit' | 'keepalive' | 'time-wait' | 'zero-window-probe';
const TIMERS: readonly (SocketTimer | null)[] = [null, 'retransmit', 'keepalive', 'time-wait', 'zero-window-probe'];

/**
 * Why a socket is in a snapshot:
 * - `'fd'`: an fd of this process holds it (matched by inode: certain).
 * - `'listener'`: no fd holds it any more (TIME_WAIT, orphaned after close, SYN_RECV), and its
 *   local end is a port this process listens on: the accepted side of a connection it closed.
 * - `'peer'`: no fd holds it, and its remote end is a listener of this process on this host
 *   (loopback or one of the host's own addresses): the connecting side of a connection to this
 *   process — made by this process or by another one on the same host; the kernel does not say.
 * - `'filter'`: only the port filter matched it; it may belong to any process.
 */
export type SocketAttribution = 'fd' | 'listener' | 'peer' | 'filter';
const ATTRIBUTIONS: readonly SocketAttribution[] = ['fd', 'listener', 'peer', 'filter'];

/** Which sockets {@link sockets} returns. */
export interface SocketFilter {
  /** Only IPv4 or only IPv6 sockets (a dual-stack socket's IPv4 peers are IPv6 here, `::ffff:a.b.c.d`). */
  family?: 4 | 6;
  /** Only sockets in these states; filtered in the kernel. */
  states?: readonly TcpState[];
  /** Sockets whose local port is one of these. */
  localPorts?: readonly number[];
  /** Sockets whose remote port is one of these. */
  remotePorts?: readonly number[];
  /** Sockets with either port one of these. */
  ports?: readonly number[];
}

// Record layout, written by native/sockets.cc (which documents it).
const HEADER = 80;
const ALL_STATES = 0xffff;
const SYN_RECV = TCP_STATES.indexOf('SYN_RECV');
const NEW_SYN_RECV = TCP_STATES.indexOf('NEW_SYN_RECV');
/** What the kernel's filter program can hold (native/core/sockets.h). */
export const MAX_FILTER_PORTS = 1000;

/** One snapshot's records, shared by its entries. */
class Records {
  readonly view: DataView;
  constructor(
    readonly buffer: ArrayBuffer,
    private attributed: boolean,
  ) {
    this.view = new DataView(buffer);
  }

  /** Attribution of a port-filtered snapshot costs an fstat per fd: done once, when first asked. */
  attribute(): void {
    if (this.attributed) return;
    native.sockets.attribute(new Uint8Array(this.buffer));
    this.attributed = true;
  }
}

// Formatting an address is the dearest part of an entry; on a host's sockets the same few
// addresses repeat, so the last one of each family is kept.
let last4 = -1;
let last4Text = '';
const last6 = [-1, -1, -1, -1];
let last6Text = '';

function address4(view: DataView, at: number): string {
  const key = view.getUint32(at, true);
  if (key !== last4) {
    last4 = key;
    last4Text = formatIPv4(view, at);
  }
  return last4Text;
}

function address6(view: DataView, at: number): string {
  const a = view.getUint32(at, true);
  const b = view.getUint32(at + 4, true);
  const c = view.getUint32(at + 8, true);
  const d = view.getUint32(at + 12, true);
  if (a !== last6[0] || b !== last6[1] || c !== last6[2] || d !== last6[3]) {
    last6[0] = a;
    last6[1] = b;
    last6[2] = c;
    last6[3] = d;
    last6Text = formatIPv6(view, at);
  }
  return last6Text;
}

/**
 * One TCP socket as the kernel described it when the snapshot was taken. Exported as a type only:
 * entries come from {@link sockets}, which reads them from the kernel's answer.
 */
class SnapshotSocket {
  readonly family: 4 | 6;
  readonly state: TcpState;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  /** 0 for a listener. */
  readonly remotePort: number;
  /** Bytes received and not read by the application. LISTEN: connections waiting for accept(). */
  readonly unread: number;
  /** Bytes in the send queue, not sent or not acknowledged yet. LISTEN: the backlog. */
  readonly queued: number;
  /** The timer running, or null. */
  readonly timer: SocketTimer | null;
  /** When that timer fires, ms from the snapshot (0 without a timer). */
  readonly timerMs: number;
  /** Retransmissions (retransmit timer) or unanswered probes (keepalive, zero window) so far. */
  readonly timerRetries: number;
  /** The socket's inode; 0 when no fd holds it (TIME_WAIT, orphaned, SYN_RECV). */
  readonly inode: number;
  /** The uid that created the socket (0 for TIME_WAIT). */
  readonly uid: number;
  readonly #records: Records;
  readonly #at: number;
  #tcpInfo: TcpInfo | undefined | null = null;

  constructor(records: Records, at: number) {
    const v = records.view;
    this.#records = records;
    this.#at = at;
    const v6 = v.getUint8(at) === 6;
    this.family = v6 ? 6 : 4;
    this.state = TCP_STATES[v.getUint8(at + 1)] ?? 'UNKNOWN';
    this.timer = TIMERS[v.getUint8(at + 2)] ?? null;
    this.timerRetries = v.getUint8(at + 3);
    // idiag_expires is computed from jiffies and may come out negative for an overdue timer.
    this.timerMs = this.timer === null ? 0 : Math.max(0, v.getInt32(at + 8, true));
    this.unread = v.getUint32(at + 12, true);
    this.queued = v.getUint32(at + 16, true);
    this.uid = v.getUint32(at + 20, true);
    this.inode = v.getUint32(at + 24, true);
    this.localPort = v.getUint16(at + 28, true);
    this.remotePort = v.getUint16(at + 30, true);
    this.localAddress = v6 ? address6(v, at + 48) : address4(v, at + 48);
    this.remoteAddress = v6 ? address6(v, at + 64) : address4(v, at + 64);
  }

  /** Why the socket is in the snapshot; see {@link SocketAttribution}. */
  get attribution(): SocketAttribution {
    this.#records.attribute();
    return ATTRIBUTIONS[this.#records.view.getUint8(this.#at + 4)] ?? 'filter';
  }

  /** SO_COOKIE: the kernel's id of the socket, as kill() matches it. */
  get cookie(): bigint {
    return this.#records.view.getBigUint64(this.#at + 40, true);
  }

  /**
   * struct tcp_info, decoded on first access by the decoder of `tcpInfo()`, as long as the kernel
   * made it (`length`: 280 on 6.18, 248 on 6.12, 232 on 6.1); undefined for TIME_WAIT and
   * SYN_RECV, which the kernel reports without one.
   */
  get tcpInfo(): TcpInfo | undefined {
    if (this.#tcpInfo === null) {
      const length = this.#records.view.getUint16(this.#at + 6, true);
      this.#tcpInfo =
        length === 0 ? undefined : decodeTcpInfoView(new DataView(this.#records.buffer, this.#at + HEADER, length), length);
    }
    return this.#tcpInfo;
  }

  /** Every field, tcp_info decoded and the cookie as a string. */
  toJSON(): Record<string, unknown> {
    return { ...(this as object), attribution: this.attribution, cookie: String(this.cookie), tcpInfo: this.tcpInfo };
  }

  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `SnapshotSocket ${inspect({ ...(this as object), attribution: this.attribution, cookie: this.cookie }, options)}`;
  }
}

function entries([buffer, count]: NativeRecords, attributed: boolean): SnapshotSocket[] {
  const records = new Records(buffer, attributed);
  const out: SnapshotSocket[] = [];
  const end = buffer.byteLength;
  for (let i = 0, at = 0; i < count && at + HEADER <= end; i++) {
    out.push(new SnapshotSocket(records, at));
    at += HEADER + ((records.view.getUint16(at + 6, true) + 7) & ~7);
  }
  return out;
}

function portList(value: unknown, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalidArgType(name, 'an Array of port numbers', value);
  if (value.length > MAX_FILTER_PORTS) throw outOfRange(name, `at most ${MAX_FILTER_PORTS} ports long`, value.length);
  return value.map((port, i) => validatePort(port, `${name}[${i}]`));
}

function stateMask(value: unknown): number {
  if (value === undefined) return ALL_STATES;
  if (!Array.isArray(value)) throw invalidArgType('filter.states', 'an Array of TCP state names', value);
  let mask = 0;
  for (const [i, name] of value.entries()) {
    const state = TCP_STATES.indexOf(validateOneOf(name, `filter.states[${i}]`, TCP_STATES));
    mask |= 1 << state;
    // The kernel keeps a connection being accepted as a request socket, state NEW_SYN_RECV.
    if (state === SYN_RECV) mask |= 1 << NEW_SYN_RECV;
  }
  return mask;
}

/**
 * ENOENT from sock_diag means the kernel has no TCP handler for it: say which modules. Exported
 * for tests (this kernel has the modules).
 */
export function explain(error: unknown): unknown {
  const e = error as Error & { code?: unknown; syscall?: unknown };
  if (e instanceof Error && e.code === 'ENOENT' && e.syscall === 'recvmsg') {
    e.message =
      'recvmsg ENOENT: the kernel has no sock_diag handler for TCP: the inet_diag and tcp_diag ' +
      'modules are not loaded (modprobe tcp_diag) or not built (CONFIG_INET_TCP_DIAG)';
  }
  return error;
}

/**
 * A snapshot of TCP sockets from the kernel's tables, IPv4 and IPv6, unprivileged. Without port
 * filters: every TCP socket this process holds (matched by inode against its fds), plus those it
 * no longer holds that the kernel still keeps — TIME_WAIT, orphaned after close(), SYN_RECV —
 * when they can be traced to it through its listeners (see {@link SocketAttribution}). With
 * `localPorts`, `remotePorts` or `ports`: every socket on those ports, whichever process has it.
 * For each: state, addresses, unread and queued bytes, the running timer with its expiry, and
 * tcp_info (decoded on first access).
 *
 * @remarks One native call; the kernel walks all its TCP sockets (~0.1 µs each) and describes
 * the ones kept (~0.8 µs each, tcp_info included); port filters are evaluated in the kernel, so
 * the others cost only the walk. The dump is read through one 64 KiB buffer and the result is
 * one ArrayBuffer of ~360 bytes a socket: memory grows with the result, not with the table.
 * Finding this process's sockets costs an fstat per fd (~0.3 µs); a port-filtered snapshot does
 * that only when an entry's `attribution` is first read. The connecting side of a connection this
 * process made and closed first is in TIME_WAIT under an ephemeral port and no fd: unless it
 * connected to a listener of this process (`'peer'`), only a port filter finds it.
 * A kernel without the inet_diag/tcp_diag modules answers ENOENT (`syscall: 'recvmsg'`).
 * See sock_diag(7), ss(8).
 */
export function sockets(filter?: SocketFilter): SnapshotSocket[] {
  const f = validateObject(filter, 'filter');
  const family = f.family === undefined ? 0 : validateFamily(f.family, 'filter.family');
  const states = stateMask(f.states);
  const local = portList(f.localPorts, 'filter.localPorts');
  const remote = portList(f.remotePorts, 'filter.remotePorts');
  const either = portList(f.ports, 'filter.ports');
  const total = (local?.length ?? 0) + (remote?.length ?? 0) + (either?.length ?? 0);
  if (total > MAX_FILTER_PORTS) throw outOfRange('filter', `at most ${MAX_FILTER_PORTS} ports in all`, total);
  // An empty set matches nothing, and so does an empty state list: no need to ask.
  if (local?.length === 0 || remote?.length === 0 || either?.length === 0 || states === 0) return [];
  let records: NativeRecords;
  try {
    records = native.sockets.snapshot(family, states, local ?? null, remote ?? null, either ?? null);
  } catch (error) {
    throw explain(error);
  }
  return entries(records, local === undefined && remote === undefined && either === undefined);
}

let probed: ProbeResult | undefined;

/**
 * Whether this kernel answers the snapshot's dump (sock_diag with the inet_diag and tcp_diag
 * modules): `ok`, or the errno and what is missing. Asked once per process.
 */
export function probeSnapshot(): ProbeResult {
  if (probed !== undefined) return probed;
  try {
    native.sockets.snapshot(0, 1 << TCP_STATES.indexOf('LISTEN'));
    probed = { ok: true };
  } catch (error) {
    const e = explain(error) as Error & { code?: string };
    probed = { ok: false, code: e.code ?? 'ERR', reason: e.message };
  }
  return probed;
}

/** Decodes records as the native parser wrote them (tests feed it real and mutated dumps). */
export function decodeRecords(records: NativeRecords): SnapshotSocket[] {
  return entries(records, true);
}

export type { SnapshotSocket };
