/**
 * Forged TCP segments, for the cases a peer's kernel never produces on cue: an RST with a chosen
 * sequence number, a SYN on an established connection (RFC 5961), a segment for a port with no
 * socket. They go through a raw IP socket and only ever to a socket this library owns, from its
 * peer's address (or another owned socket's): the addon takes both ends from the sockets
 * themselves and refuses any that is not loopback. See raw(7), RFC 9293 §3.1, RFC 5961.
 */
import { explainPermission, HOW_TO_GET_CAP_NET_RAW, probeAnswer, systemError, type ProbeResult } from '../controls/errors.js';
import { fdOf } from '../controls/handle.js';
import { native } from '../controls/native.js';
import { invalidArgType, invalidArgValue, validateInteger, validateObject } from '../controls/validate.js';
import { RawSocket, type RawResult } from './raw-socket.js';
import { flagBitsOf } from './segment.js';

/** What to put in the TCP header of a forged segment. */
export interface ForgedSegment {
  /** Flags in tcpdump's letters: `'R'`, `'R.'`, `'S'`, `'P.'`, `'.'`, `'F.'`. */
  flags: string;
  /** Sequence number, absolute (0 to 2^32 − 1). */
  seq: number;
  /** Acknowledgement number, absolute. Default 0. */
  ack?: number;
  /** Window field as written (unscaled). Default 0 for an RST, else 65535. */
  window?: number;
  /** Payload, at most 1024 bytes. Default none. */
  data?: string | Uint8Array;
}

/** Why opening a raw socket can fail EPERM, and what to do about it. */
export const FORGE_EPERM =
  'forging segments (a raw IP socket) needs CAP_NET_RAW in the network namespace. ' + HOW_TO_GET_CAP_NET_RAW;

const UINT32_MAX = 2 ** 32 - 1;

/** A validated segment: the numbers the addon takes. */
export interface ForgedHeader {
  flagBits: number;
  seq: number;
  ack: number;
  window: number;
  payload: Uint8Array;
}

/** Checks a {@link ForgedSegment} and returns its header numbers. */
export function forgedHeader(segment: ForgedSegment, name = 'segment'): ForgedHeader {
  const s = validateObject(segment, name);
  if (typeof s.flags !== 'string') throw invalidArgType(`${name}.flags`, 'of type string', s.flags);
  const flagBits = flagBitsOf(s.flags);
  if (flagBits === undefined || s.flags === '') {
    throw invalidArgValue(`${name}.flags`, "tcpdump's flag letters (S F R P . U E W)", s.flags);
  }
  const seq = validateInteger(s.seq, `${name}.seq`, 0, UINT32_MAX);
  const ack = s.ack === undefined ? 0 : validateInteger(s.ack, `${name}.ack`, 0, UINT32_MAX);
  const rst = (flagBits & 0x04) !== 0;
  const window = s.window === undefined ? (rst ? 0 : 65535) : validateInteger(s.window, `${name}.window`, 0, 65535);
  let payload: Uint8Array;
  if (s.data === undefined) payload = new Uint8Array(0);
  else if (typeof s.data === 'string') payload = Buffer.from(s.data);
  else if (s.data instanceof Uint8Array) payload = s.data;
  else throw invalidArgType(`${name}.data`, 'a string or an instance of Uint8Array', s.data);
  const max = native.forge.constants.MAX_PAYLOAD;
  if (payload.byteLength > max) throw invalidArgValue(`${name}.data`, `at most ${max} bytes`, payload.byteLength);
  return { flagBits, seq, ack, window, payload };
}

/**
 * Sends a forged segment to `to`'s own address and port, as if from its peer (or, with
 * `from`, from that owned socket's local address and port — for a socket without a peer, such
 * as one bound to a port nobody listens on). The kernel's answer is data, not an exception:
 * `{ ok: true }` once the raw socket sent it, or the errno (`syscall` `'socket'`, `'sendto'`,
 * `'getpeername'`).
 *
 * @remarks Needs CAP_NET_RAW over the network namespace (EPERM otherwise; probe with
 * {@link canForge}). Both ends are read from the sockets, never given: a forged segment can only
 * reach a socket this library owns, over loopback (127.0.0.0/8 or ::1) — anything else is
 * refused with `ERR_INVALID_ARG_VALUE` before a packet is built. The addon writes the IP header
 * and the TCP checksum; it sends no options. See raw(7),
 * https://man7.org/linux/man-pages/man7/raw.7.html
 */
export function forge(to: RawSocket, segment: ForgedSegment, options: { from?: RawSocket } = {}): RawResult {
  if (!(to instanceof RawSocket)) throw invalidArgType('to', 'an instance of RawSocket', to);
  const { from } = validateObject(options, 'options');
  if (from !== undefined && !(from instanceof RawSocket)) throw invalidArgType('options.from', 'an instance of RawSocket', from);
  const header = forgedHeader(segment);
  const fd = fdOf(to);
  const fromFd = from === undefined ? -1 : fdOf(from);
  const [errno, step] = native.forge.send(fd, fromFd, header.flagBits, header.seq, header.ack, header.window, header.payload);
  if (errno === 0) return { ok: true, syscall: 'sendto' };
  const error = explainPermission(systemError(errno, step), FORGE_EPERM, 'CAP_NET_RAW') as { errno: number; code: string };
  return { ok: false, errno: error.errno, code: error.code, syscall: step };
}

/**
 * Probes whether {@link forge} can work here: opens the raw IP socket it uses and closes it.
 *
 * @remarks `{ ok: false, code: 'EPERM', reason }` without CAP_NET_RAW. See raw(7),
 * https://man7.org/linux/man-pages/man7/raw.7.html
 */
export function canForge(): ProbeResult {
  const [errno, step] = native.forge.probe();
  return probeAnswer(errno, step, FORGE_EPERM, 'the kernel refused a raw IP socket.');
}
