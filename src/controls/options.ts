/**
 * Socket controls Node does not expose: abortive close (SO_LINGER {on, 0}), linger, keepalive
 * timers, TCP_USER_TIMEOUT, SO_ERROR, the queue ioctls and an integer escape hatch.
 * Each works on a net.Socket, a tls.TLSSocket, `req.socket` / `res.socket` of node:http and a
 * RawSocket.
 */
import { Server, type Socket } from 'node:net';
import { destroyThroughOwner, fdOf, type OwnedSocket, type SocketLike } from './handle.js';
import { systemError, type SocketSystemError } from './errors.js';
import {
  INT32_MAX,
  INT32_MIN,
  invalidArgType,
  outOfRange,
  validateBoolean,
  validateInteger,
  validateObject,
} from './validate.js';
import { native } from './native.js';

/** The kernel's limits (include/net/tcp.h): MAX_TCP_KEEPIDLE/INTVL 32767 s, MAX_TCP_KEEPCNT 127. */
const MAX_KEEPALIVE_SECONDS = 32767;
const MAX_KEEPALIVE_COUNT = 127;

/** Integer constants for {@link getOption}/{@link setOption}, read from this platform's headers. */
export const constants: Readonly<Record<string, number>> = Object.freeze({ ...native.options.constants });

/**
 * Sets `SO_LINGER` to {on, 0} and closes the socket through its owner (Node's `destroy()` for
 * a net.Socket): the kernel sends RST instead of FIN, discards unsent data and leaves no
 * TIME_WAIT. The peer's next read fails with ECONNRESET.
 *
 * @remarks Unlike Node's `socket.resetAndDestroy()` it also works on a tls.TLSSocket and on
 * `req.socket` / `res.socket` of node:http. See socket(7) `SO_LINGER`.
 */
export function abort(socket: Socket | OwnedSocket): void {
  if (socket instanceof Server) {
    throw invalidArgType('socket', 'a connection, not a net.Server', socket);
  }
  const fd = fdOf(socket);
  native.options.setLinger(fd, 0);
  destroyThroughOwner(socket);
}

/**
 * Sets `SO_LINGER`: `ms` is how long close() may block sending queued data (0 = reset on close,
 * see {@link abort}); `null` switches lingering off (the default: close() returns at once and
 * the kernel finishes with FIN in the background).
 *
 * @remarks The kernel counts whole seconds: `ms` is rounded down to a whole second, so 1–999 ms
 * (which would round to 0 and turn every close into a reset) are refused with a RangeError
 * (`ERR_OUT_OF_RANGE`); {@link getLinger} returns what the kernel holds. A non-zero linger makes
 * close() block the thread that closes — for a net.Socket that is Node's event loop — until the
 * data is acknowledged or the time runs out: Linux ignores O_NONBLOCK here (measured: linger 2 s
 * with 3.8 MB unsent, `destroy()` took 2009 ms). Use 0 ({@link abort}) or `null` on sockets Node
 * owns. See socket(7) `SO_LINGER`.
 */
export function setLinger(socket: SocketLike, ms: number | null): void {
  const fd = fdOf(socket);
  native.options.setLinger(fd, ms === null ? -1 : lingerSeconds(ms));
}

function lingerSeconds(ms: unknown): number {
  const value = validateInteger(ms, 'ms', 0, INT32_MAX);
  if (value > 0 && value < 1000) throw outOfRange('ms', '0 (reset on close) or at least 1000 (whole seconds)', value);
  return Math.floor(value / 1000);
}

/** Reads `SO_LINGER`: the linger time in ms (whole seconds), or `null` when lingering is off. See socket(7). */
export function getLinger(socket: SocketLike): number | null {
  const seconds = native.options.getLinger(fdOf(socket));
  return seconds < 0 ? null : seconds * 1000;
}

/** Keepalive settings; durations in milliseconds like Node's `socket.setKeepAlive`. */
export interface KeepAliveOptions {
  /** `SO_KEEPALIVE`. Default `true`. */
  enable?: boolean;
  /** `TCP_KEEPIDLE`: idle time before the first probe, ms (1000–32767000). */
  idle?: number;
  /** `TCP_KEEPINTVL`: time between probes, ms (1000–32767000). */
  interval?: number;
  /** `TCP_KEEPCNT`: unanswered probes before the connection is dropped (1–127). */
  count?: number;
}

/** What the kernel holds, read back with getsockopt. */
export interface KeepAliveState {
  enable: boolean;
  idle: number;
  interval: number;
  count: number;
}

function keepAliveSeconds(value: unknown, name: string): number {
  if (value === undefined) return -1;
  const ms = validateInteger(value, name, 1000, MAX_KEEPALIVE_SECONDS * 1000);
  return Math.floor(ms / 1000);
}

/**
 * Sets `TCP_KEEPIDLE`, `TCP_KEEPINTVL`, `TCP_KEEPCNT` (those given) and then `SO_KEEPALIVE`,
 * in one native call. A peer that stops answering is dropped after about
 * idle + interval × count, and the socket's next operation fails with ETIMEDOUT.
 *
 * @remarks The kernel counts whole seconds: `idle` and `interval` are rounded down to a whole
 * second, so values below 1000 ms are refused with a RangeError (`ERR_OUT_OF_RANGE`), as are
 * values above the kernel's maximum (32767 s; 127 probes). {@link getKeepAlive} returns what
 * the kernel holds. A `TCP_USER_TIMEOUT` overrides the probe count (tcp(7)).
 * Node 20/22's own `setKeepAlive` only sets the idle time (interval fixed at 1 s, count 10).
 * See tcp(7), socket(7).
 */
export function setKeepAlive(socket: SocketLike, options: KeepAliveOptions = {}): void {
  const checked = validateObject(options, 'options');
  const enable = validateBoolean(checked.enable, 'options.enable', true);
  const idle = keepAliveSeconds(checked.idle, 'options.idle');
  const interval = keepAliveSeconds(checked.interval, 'options.interval');
  const count = checked.count === undefined ? -1 : validateInteger(checked.count, 'options.count', 1, MAX_KEEPALIVE_COUNT);
  native.options.setKeepAlive(fdOf(socket), enable ? 1 : 0, idle, interval, count);
}

/** Reads `SO_KEEPALIVE` and the three timers back from the kernel (durations in ms). See tcp(7). */
export function getKeepAlive(socket: SocketLike): KeepAliveState {
  const [enable, idle, interval, count] = native.options.getKeepAlive(fdOf(socket));
  return { enable: enable !== 0, idle: idle * 1000, interval: interval * 1000, count };
}

/**
 * Sets `TCP_USER_TIMEOUT`: the longest time, in ms, that sent data may stay unacknowledged
 * (or a connect go unanswered) before the kernel drops the connection with ETIMEDOUT. `0`
 * restores the system default.
 *
 * @remarks Checked when the retransmission timer fires, so it overshoots (500 ms fires at
 * ~0.9 s on loopback). It also overrides keepalive's probe count, and accepted sockets inherit
 * it from their listener. Linux ≥ 2.6.37. See tcp(7).
 */
export function setUserTimeout(socket: SocketLike, ms: number): void {
  const fd = fdOf(socket);
  native.options.setOption(fd, constants.IPPROTO_TCP, constants.TCP_USER_TIMEOUT, validateInteger(ms, 'ms', 0, INT32_MAX));
}

/** Reads `TCP_USER_TIMEOUT` in ms (0 = system default). See tcp(7). */
export function getUserTimeout(socket: SocketLike): number {
  return native.options.getUserTimeout(fdOf(socket));
}

/**
 * Reads and clears `SO_ERROR`, the error the kernel holds for the socket (e.g. ECONNREFUSED
 * after a failed non-blocking connect, ETIMEDOUT after a user timeout). Returns it as a
 * Node-shaped error (`code`, negative `errno`, `syscall: 'getsockopt'`, `option: 'SO_ERROR'`)
 * or `null` when none is pending.
 *
 * @remarks Reading clears it: on a net.Socket, libuv may then not see an error it would
 * otherwise have reported. See socket(7) `SO_ERROR`.
 */
export function takeError(socket: SocketLike): SocketSystemError | null {
  const errno = native.options.takeError(fdOf(socket));
  return errno === 0 ? null : systemError(errno, 'getsockopt', 'SO_ERROR');
}

/** Byte counts of a socket's kernel queues. */
export interface SocketQueues {
  /** `SIOCINQ`: received bytes the application has not read yet. */
  unread: number;
  /** `SIOCOUTQ`: bytes in the send queue, sent but unacknowledged plus not yet sent. */
  queued: number;
  /** `SIOCOUTQNSD`: bytes in the send queue not yet sent at all. */
  unsent: number;
}

/**
 * Reads the queue ioctls `SIOCINQ`, `SIOCOUTQ` and `SIOCOUTQNSD`.
 *
 * @remarks `SIOCINQ` fails EINVAL on a listening socket. See tcp(7) "Ioctls".
 */
export function queues(socket: SocketLike): SocketQueues {
  const [unread, queued, unsent] = native.queues.queues(fdOf(socket));
  return { unread, queued, unsent };
}

/**
 * getsockopt(2) for an integer option: `getOption(s, constants.IPPROTO_TCP, constants.TCP_NODELAY)`.
 * Kernel failures throw a Node-shaped error (e.g. ENOPROTOOPT).
 */
export function getOption(socket: SocketLike, level: number, name: number): number {
  const fd = fdOf(socket);
  return native.options.getOption(fd, validateInteger(level, 'level', 0, INT32_MAX), validateInteger(name, 'name', 0, INT32_MAX));
}

/** setsockopt(2) for an integer option. Kernel failures throw a Node-shaped error (e.g. EINVAL). */
export function setOption(socket: SocketLike, level: number, name: number, value: number): void {
  const fd = fdOf(socket);
  native.options.setOption(
    fd,
    validateInteger(level, 'level', 0, INT32_MAX),
    validateInteger(name, 'name', 0, INT32_MAX),
    validateInteger(value, 'value', INT32_MIN, INT32_MAX),
  );
}
