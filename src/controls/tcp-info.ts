/**
 * getsockopt(TCP_INFO) decoded from one field table (include/uapi/linux/tcp.h, Linux 6.18).
 * The kernel copies min(buffer, its struct) and reports the length: a field beyond that length
 * does not exist on the running kernel and decodes as `undefined`, never 0.
 */
import { fdOf, fdOrNone, sameHandle, stableHandle, type SocketLike } from './handle.js';
import { invalidArgType, outOfRange } from './validate.js';
import { native } from './native.js';

/** Size of struct tcp_info on Linux 6.18; older kernels fill less (6.1: 232, 6.12: 248). */
export const TCP_INFO_SIZE = 280;

/**
 * The oldest kernel sockctl supports: Debian 12's 6.1, the oldest one CI runs the catalog on.
 * {@link TcpInfo} types the fields every kernel from here on fills as `number`. (Any floor from
 * 5.5 would give the same types: nothing was added to struct tcp_info between 5.5 and 6.1.)
 */
export const OLDEST_KERNEL = '6.1';

/** Kernel TCP states (include/net/tcp_states.h), indexed by tcpi_state. */
export const TCP_STATES = [
  'UNKNOWN',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
  'BOUND_INACTIVE',
] as const;
export type TcpState = (typeof TCP_STATES)[number];

/** Congestion-avoidance states (tcpi_ca_state). */
export const TCP_CA_STATES = ['Open', 'Disorder', 'CWR', 'Recovery', 'Loss'] as const;
export type TcpCaState = (typeof TCP_CA_STATES)[number];

/** Bits of `options` (TCPI_OPT_*). */
export const TcpInfoOptions = Object.freeze({
  TIMESTAMPS: 1,
  SACK: 2,
  WSCALE: 4,
  ECN: 8,
  ECN_SEEN: 16,
  SYN_DATA: 32,
  USEC_TS: 64,
  TFO_CHILD: 128,
});

type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 'bits';

/**
 * [name, byte offset, type, Linux version that added it, bit shift, bit width].
 * Names are tcpi_* camelCased with the unit appended (Us = microseconds, Ms = milliseconds,
 * Bps = bytes per second). Bit fields share a byte and carry shift and width.
 */
type Field = readonly [name: string, offset: number, type: FieldType, since: string, shift?: number, width?: number];

export const TCP_INFO_FIELDS: readonly Field[] = [
  ['state', 0, 'u8', '2.6'],
  ['caState', 1, 'u8', '2.6'],
  ['retransmits', 2, 'u8', '2.6'],
  ['probes', 3, 'u8', '2.6'],
  ['backoff', 4, 'u8', '2.6'],
  ['options', 5, 'u8', '2.6'],
  ['sndWscale', 6, 'bits', '2.6', 0, 4],
  ['rcvWscale', 6, 'bits', '2.6', 4, 4],
  ['deliveryRateAppLimited', 7, 'bits', '4.9', 0, 1],
  ['fastopenClientFail', 7, 'bits', '5.5', 1, 2],
  ['rtoUs', 8, 'u32', '2.6'],
  ['atoUs', 12, 'u32', '2.6'],
  ['sndMss', 16, 'u32', '2.6'],
  ['rcvMss', 20, 'u32', '2.6'],
  ['unacked', 24, 'u32', '2.6'],
  ['sacked', 28, 'u32', '2.6'],
  ['lost', 32, 'u32', '2.6'],
  ['retrans', 36, 'u32', '2.6'],
  ['fackets', 40, 'u32', '2.6'],
  ['lastDataSentMs', 44, 'u32', '2.6'],
  ['lastAckSentMs', 48, 'u32', '2.6'],
  ['lastDataRecvMs', 52, 'u32', '2.6'],
  ['lastAckRecvMs', 56, 'u32', '2.6'],
  ['pmtu', 60, 'u32', '2.6'],
  ['rcvSsthresh', 64, 'u32', '2.6'],
  ['rttUs', 68, 'u32', '2.6'],
  ['rttvarUs', 72, 'u32', '2.6'],
  ['sndSsthresh', 76, 'u32', '2.6'],
  ['sndCwnd', 80, 'u32', '2.6'],
  ['advmss', 84, 'u32', '2.6'],
  ['reordering', 88, 'u32', '2.6'],
  ['rcvRttUs', 92, 'u32', '2.6'],
  ['rcvSpace', 96, 'u32', '2.6'],
  ['totalRetrans', 100, 'u32', '2.6'],
  ['pacingRateBps', 104, 'u64', '3.15'],
  ['maxPacingRateBps', 112, 'u64', '3.15'],
  ['bytesAcked', 120, 'u64', '4.1'],
  ['bytesReceived', 128, 'u64', '4.1'],
  ['segsOut', 136, 'u32', '4.2'],
  ['segsIn', 140, 'u32', '4.2'],
  ['notsentBytes', 144, 'u32', '4.6'],
  ['minRttUs', 148, 'u32', '4.6'],
  ['dataSegsIn', 152, 'u32', '4.6'],
  ['dataSegsOut', 156, 'u32', '4.6'],
  ['deliveryRateBps', 160, 'u64', '4.9'],
  ['busyTimeUs', 168, 'u64', '4.10'],
  ['rwndLimitedUs', 176, 'u64', '4.10'],
  ['sndbufLimitedUs', 184, 'u64', '4.10'],
  ['delivered', 192, 'u32', '4.18'],
  ['deliveredCe', 196, 'u32', '4.18'],
  ['bytesSent', 200, 'u64', '4.19'],
  ['bytesRetrans', 208, 'u64', '4.19'],
  ['dsackDups', 216, 'u32', '4.19'],
  ['reordSeen', 220, 'u32', '4.19'],
  ['rcvOoopack', 224, 'u32', '5.4'],
  ['sndWnd', 228, 'u32', '5.4'],
  ['rcvWnd', 232, 'u32', '6.2'],
  ['rehash', 236, 'u32', '6.2'],
  ['totalRto', 240, 'u16', '6.7'],
  ['totalRtoRecoveries', 242, 'u16', '6.7'],
  ['totalRtoTimeMs', 244, 'u32', '6.7'],
  ['receivedCe', 248, 'u32', '6.18'],
  ['deliveredE1Bytes', 252, 'u32', '6.18'],
  ['deliveredE0Bytes', 256, 'u32', '6.18'],
  ['deliveredCeBytes', 260, 'u32', '6.18'],
  ['receivedE1Bytes', 264, 'u32', '6.18'],
  ['receivedE0Bytes', 268, 'u32', '6.18'],
  ['receivedCeBytes', 272, 'u32', '6.18'],
  ['accecnFailMode', 276, 'u16', '6.18'],
  ['accecnOptSeen', 278, 'u16', '6.18'],
];

const SIZES: Record<FieldType, number> = { u8: 1, bits: 1, u16: 2, u32: 4, u64: 8 };

/**
 * struct tcp_info as `tcpInfo(socket)` returns it. A field that every supported kernel (Linux
 * {@link OLDEST_KERNEL} and newer) fills is a `number`; a field added later is `number |
 * undefined`: `undefined` where the running kernel's struct is too short to hold it (see
 * {@link TCP_INFO_FIELDS} for the version that added each).
 *
 * @remarks On a kernel older than 5.5 (not supported) some `number` fields can be `undefined`
 * too; emulators that do not pass TCP_INFO through (qemu-user) fill 4 bytes or none.
 */
export interface TcpInfo {
  /** Bytes the kernel filled (280 on 6.18, 248 on 6.12, 232 on 6.1). */
  length: number;
  /** Connection state by name ('ESTABLISHED', 'CLOSE_WAIT', ...). */
  state: TcpState;
  /** Congestion-avoidance state by name. */
  caState: TcpCaState;
  /** Consecutive retransmissions of the head segment (resets on ACK). */
  retransmits: number;
  /** Unanswered zero-window or keepalive probes. */
  probes: number;
  /** Exponential backoff count of the retransmission timer. */
  backoff: number;
  /** TCPI_OPT_* bits; see {@link TcpInfoOptions}. */
  options: number;
  sndWscale: number;
  rcvWscale: number;
  deliveryRateAppLimited: number;
  fastopenClientFail: number;
  /** Retransmission timeout, µs. */
  rtoUs: number;
  /** Delayed-ACK timeout, µs. */
  atoUs: number;
  sndMss: number;
  rcvMss: number;
  /** Segments sent and not yet acknowledged. */
  unacked: number;
  sacked: number;
  lost: number;
  /** Segments currently retransmitted and unacknowledged. */
  retrans: number;
  fackets: number;
  /** Time since data was last sent, ms. */
  lastDataSentMs: number;
  /** Not tracked by Linux (always 0). */
  lastAckSentMs: number;
  lastDataRecvMs: number;
  lastAckRecvMs: number;
  pmtu: number;
  rcvSsthresh: number;
  /** Smoothed round-trip time, µs. */
  rttUs: number;
  /** Round-trip time variance, µs. */
  rttvarUs: number;
  sndSsthresh: number;
  /** Congestion window, segments. */
  sndCwnd: number;
  advmss: number;
  reordering: number;
  rcvRttUs: number;
  rcvSpace: number;
  /** Retransmitted segments over the connection's life. */
  totalRetrans: number;
  pacingRateBps: number;
  maxPacingRateBps: number;
  bytesAcked: number;
  bytesReceived: number;
  segsOut: number;
  segsIn: number;
  notsentBytes: number;
  minRttUs: number;
  dataSegsIn: number;
  dataSegsOut: number;
  deliveryRateBps: number;
  busyTimeUs: number;
  rwndLimitedUs: number;
  sndbufLimitedUs: number;
  delivered: number;
  deliveredCe: number;
  bytesSent: number;
  bytesRetrans: number;
  dsackDups: number;
  reordSeen: number;
  rcvOoopack: number;
  /** Peer's advertised receive window after scaling, bytes. */
  sndWnd: number;
  /** Our advertised receive window after scaling, bytes. Linux 6.2 and newer. */
  rcvWnd: number | undefined;
  /** PLB or timeout-triggered rehashes. Linux 6.2 and newer. */
  rehash: number | undefined;
  /** RTO timeouts over the connection's life. Linux 6.7 and newer. */
  totalRto: number | undefined;
  /** RTO recoveries. Linux 6.7 and newer. */
  totalRtoRecoveries: number | undefined;
  /** Time spent in RTO recoveries, ms. Linux 6.7 and newer. */
  totalRtoTimeMs: number | undefined;
  /** AccECN counters from here on: Linux 6.18 and newer. */
  receivedCe: number | undefined;
  deliveredE1Bytes: number | undefined;
  deliveredE0Bytes: number | undefined;
  deliveredCeBytes: number | undefined;
  receivedE1Bytes: number | undefined;
  receivedE0Bytes: number | undefined;
  receivedCeBytes: number | undefined;
  accecnFailMode: number | undefined;
  accecnOptSeen: number | undefined;
}

// Source of one read of `field` from the DataView `v`.
function readExpression(field: Field): string {
  const [, offset, type, , shift = 0, width = 8] = field;
  switch (type) {
    case 'u8':
      return `v.getUint8(${offset})`;
    case 'bits':
      return `((v.getUint8(${offset}) >> ${shift}) & ${(1 << width) - 1})`;
    case 'u16':
      return `v.getUint16(${offset}, true)`;
    case 'u32':
      return `v.getUint32(${offset}, true)`;
    case 'u64':
      // Two halves instead of a BigInt: exact up to 2^53, i.e. for any byte count in practice.
      return `(v.getUint32(${offset + 4}, true) * 4294967296 + v.getUint32(${offset}, true))`;
  }
}

/**
 * What {@link decodeTcpInfo} returns for bytes of any length: every field except `length` and
 * `state` is `undefined` when `length` does not reach it.
 */
export type DecodedTcpInfo = {
  [K in keyof TcpInfo]: K extends 'length' | 'state' ? TcpInfo[K] : TcpInfo[K] | undefined;
};

type Decoder = (v: DataView, usable: number) => DecodedTcpInfo;

/**
 * Compiles the field table into one function returning one object literal. A generic loop over
 * the table (a switch per field, properties added one by one) cost ~13 µs a call, ~20× the
 * getsockopt itself; the literal gives V8 a single fixed object shape and straight-line reads
 * (see bench/). The source is built only from TCP_INFO_FIELDS, never from input.
 */
function compileDecoder(): Decoder {
  const props = ['length: usable'];
  for (const field of TCP_INFO_FIELDS) {
    const [name, offset, type] = field;
    const present = `usable >= ${offset + SIZES[type]}`;
    let read = readExpression(field);
    if (name === 'state') {
      props.push(`state: (${present} && states[${read}]) || 'UNKNOWN'`);
      continue;
    }
    if (name === 'caState') read = `caStates[${read}]`;
    props.push(`${name}: ${present} ? ${read} : undefined`);
  }
  const source = `return function decodeTcpInfo(v, usable) {\n  return {\n    ${props.join(',\n    ')}\n  };\n};`;
  return new Function('states', 'caStates', source)(TCP_STATES, TCP_CA_STATES) as Decoder;
}

const decode = compileDecoder();

/**
 * The decoder itself, for bytes already in a DataView (a snapshot's records): `usable` bytes of
 * `view` from its start. Callers check that `usable` fits the view, and pass the length the
 * kernel itself gave (so every field of the supported kernels is present, as in `tcpInfo`).
 */
export const decodeTcpInfoView = decode as (view: DataView, usable: number) => TcpInfo;

/**
 * Decodes `length` bytes of a struct tcp_info (as filled by `tcpInfo(socket, buffer)`).
 * Fields past `length` are `undefined`.
 */
export function decodeTcpInfo(bytes: ArrayBufferView, length?: number): DecodedTcpInfo {
  if (!ArrayBuffer.isView(bytes)) throw invalidArgType('bytes', 'an ArrayBufferView', bytes);
  const size = bytes.byteLength; // 0 once the buffer has been detached (transferred)
  if (length === undefined) length = size;
  if (typeof length !== 'number') throw invalidArgType('length', 'of type number', length);
  const usable = Math.min(Math.max(0, Math.trunc(length) || 0), size);
  // A DataView over a detached buffer throws; with nothing usable no field is read anyway.
  return decode(usable === 0 ? emptyView : new DataView(bytes.buffer, bytes.byteOffset, size), usable);
}

const emptyView = new DataView(new ArrayBuffer(0));

// The object path's own buffer: the kernel fills it and the decoder copies every field out
// before returning, so one per module (per thread) serves every call without allocating.
const scratch = new Uint8Array(TCP_INFO_SIZE);
const scratchView = new DataView(scratch.buffer);

/**
 * Reads getsockopt(`TCP_INFO`) and decodes it: state, RTT, retransmissions, congestion window,
 * byte and segment counters. With a `buffer`, fills it instead and returns the length the
 * kernel wrote — no allocation, for hot loops; decode later with {@link decodeTcpInfo}.
 *
 * @remarks Linux only. Fields added after Linux {@link OLDEST_KERNEL} are `undefined` on a
 * kernel that does not have them. See tcp(7).
 */
export function tcpInfo(socket: SocketLike): TcpInfo;
export function tcpInfo(socket: SocketLike, buffer: ArrayBufferView): number;
export function tcpInfo(socket: SocketLike, buffer?: ArrayBufferView): TcpInfo | number {
  const fd = fdOf(socket);
  if (buffer !== undefined) return native.tcpInfo.tcpInfo(fd, buffer);
  // The kernel filled its whole struct: on a supported kernel that reaches every field TcpInfo
  // types as a number.
  return decode(scratchView, native.tcpInfo.tcpInfo(fd, scratch)) as TcpInfo;
}

/**
 * What a batch resolved last time for one array of sockets: per slot, the handle that vouches for
 * the fd resolved with it (null: resolve again next time) and the fd. An observability loop
 * passes the same array every tick; a slot whose socket still holds the same handle object keeps
 * its fd (another socket put in the slot never holds that handle), so the per-socket cost left is
 * a load and a compare instead of libuv's fd getter (bench/).
 */
interface BatchPlan {
  /** null, never a hole: a RawSocket's `_handle` is undefined and must not match one. */
  handles: Array<object | null>;
  fds: Int32Array;
}
const batchPlans = new WeakMap<readonly SocketLike[], BatchPlan>();

function planFor(sockets: readonly SocketLike[], count: number): BatchPlan {
  const plan = batchPlans.get(sockets);
  if (plan !== undefined && plan.fds.length >= count) return plan;
  // A new or longer array starts a new plan (its members are resolved again once), sized to a
  // power of two so that an array growing one by one does not start one every tick.
  const size = 2 ** Math.ceil(Math.log2(Math.max(count, 1)));
  const fresh: BatchPlan = { handles: new Array(size).fill(null), fds: new Int32Array(size) };
  batchPlans.set(sockets, fresh);
  return fresh;
}

/**
 * Reads getsockopt(`TCP_INFO`) of every socket in `sockets` in one native call: socket i's
 * struct tcp_info goes into `buffer` at byte i × {@link TCP_INFO_SIZE}, and `lengths[i]` is the
 * length the kernel wrote, or a negated errno when that socket could not be read (-9 EBADF for a
 * socket closed or not connected any more, -88 ENOTSOCK, ...): one socket closing between two
 * ticks does not fail the others. Returns `lengths` (a new Int32Array when none is given).
 * Decode socket i with `decodeTcpInfo(buffer.subarray(i * TCP_INFO_SIZE, (i + 1) * TCP_INFO_SIZE), lengths[i])`.
 *
 * @remarks The cost is one getsockopt per socket plus one N-API call for the whole batch. Pass
 * the same array every tick: members whose libuv handle is unchanged keep the fd resolved last
 * time (a closed socket drops its handle, so it is never read through a stale fd number), which
 * leaves the loop within a few percent of the same loop in C (bench/). Anything that is not a socket throws
 * `ERR_INVALID_ARG_TYPE`; a `buffer` shorter than sockets.length × TCP_INFO_SIZE bytes or
 * `lengths` shorter than `sockets` throws `ERR_OUT_OF_RANGE`. See tcp(7).
 */
export function tcpInfoBatch(sockets: readonly SocketLike[], buffer: ArrayBufferView, lengths?: Int32Array): Int32Array {
  if (!Array.isArray(sockets)) throw invalidArgType('sockets', 'an Array', sockets);
  if (!ArrayBuffer.isView(buffer)) throw invalidArgType('buffer', 'an ArrayBufferView', buffer);
  const count = sockets.length;
  if (lengths === undefined) lengths = new Int32Array(count);
  else if (!(lengths instanceof Int32Array)) throw invalidArgType('lengths', 'an instance of Int32Array', lengths);
  if (lengths.length < count) throw outOfRange('lengths', `at least ${count} long (one per socket)`, lengths.length);
  if (buffer.byteLength < count * TCP_INFO_SIZE) {
    throw outOfRange('buffer', `at least ${count * TCP_INFO_SIZE} bytes long (${TCP_INFO_SIZE} per socket)`, buffer.byteLength);
  }
  const { handles, fds } = planFor(sockets, count);
  for (let i = 0; i < count; i++) {
    const socket = sockets[i];
    const handle = handles[i];
    if (handle !== null && sameHandle(socket, handle)) continue;
    fds[i] = fdOrNone(socket, 'sockets');
    handles[i] = stableHandle(socket);
  }
  native.tcpInfo.tcpInfoBatch(fds.subarray(0, count), buffer, TCP_INFO_SIZE, lengths);
  return lengths;
}
