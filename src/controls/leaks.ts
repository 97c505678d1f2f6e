/**
 * Which TCP sockets appeared since a baseline and are still there: the comparison under the
 * leak check of `sockctl/testing`, and the one-line description it names each socket with.
 */
import { native } from './native.js';
import { sockets, type SnapshotSocket } from './sockets.js';
import { validateBoolean, validateObject, invalidArgType } from './validate.js';

/** What existed at one moment: compare a later snapshot against it. */
export interface SocketBaseline {
  /** Inodes of the sockets this process's fds held. */
  readonly inodes: ReadonlySet<number>;
  /**
   * Cookies of the sockets no fd held any more but the kernel still kept for this process
   * (TIME_WAIT, orphaned): undefined for a baseline taken without sock_diag (the one
   * `sockctl/testing` takes when it is loaded).
   */
  readonly closing: ReadonlySet<bigint> | undefined;
  /** When it was taken (performance.now() clock, ms). */
  readonly takenAt: number;
}

/** Which sockets a leak check names. */
export interface LeakOptions {
  /** Compare with this baseline instead of the last mark. */
  since?: SocketBaseline;
  /**
   * Also name sockets no fd holds any more that the kernel still keeps for this process
   * (TIME_WAIT, FIN_WAIT2, LAST_ACK ...: see `SocketAttribution`). Default false: those end by
   * themselves, an fd left open does not.
   */
  closing?: boolean;
}

/**
 * What this process has now: the inodes of the sockets its fds hold, and the cookies of those
 * the kernel still keeps for it (one snapshot). With `closing: false` only the inodes: an fstat
 * per fd and no netlink, so it works on a kernel without sock_diag too.
 */
export function socketBaseline(options: { closing?: boolean } = {}): SocketBaseline {
  const closing = validateBoolean(validateObject(options, 'options').closing, 'options.closing', true);
  const takenAt = performance.now();
  if (!closing) return { inodes: new Set(native.sockets.inodes()), closing: undefined, takenAt };
  const now = sockets();
  return {
    inodes: new Set(now.filter((s) => s.attribution === 'fd').map((s) => s.inode)),
    closing: new Set(now.filter((s) => s.attribution !== 'fd').map((s) => s.cookie)),
    takenAt,
  };
}

function isBaseline(value: unknown): value is SocketBaseline {
  const b = value as SocketBaseline | null | undefined;
  return b?.inodes instanceof Set && typeof b.takenAt === 'number' && (b.closing === undefined || b.closing instanceof Set);
}

/** Checks a leak check's options (a baseline given must be one {@link socketBaseline} made). */
export function leakOptions(value: unknown, fallback: () => SocketBaseline): { since: SocketBaseline; closing: boolean } {
  const o = validateObject(value as LeakOptions | undefined, 'options');
  if (o.since !== undefined && !isBaseline(o.since))
    throw invalidArgType('options.since', 'a SocketBaseline from socketBaseline()', o.since);
  return { since: o.since ?? fallback(), closing: validateBoolean(o.closing, 'options.closing', false) };
}

/**
 * The TCP sockets of this process that were not there at `since`: held by an fd whose inode the
 * baseline does not have, and with `closing` also those only the kernel still keeps for it.
 * Returns the snapshot too, so a caller can take it as the next baseline.
 */
export function leakedSince(since: SocketBaseline, closing: boolean): { leaked: SnapshotSocket[]; now: SnapshotSocket[] } {
  const now = sockets();
  const leaked = now.filter((s) =>
    s.attribution === 'fd' ? !since.inodes.has(s.inode) : closing && !(since.closing?.has(s.cookie) ?? false),
  );
  return { leaked, now };
}

/** A baseline from before any socket existed: every socket of the process counts as new. */
export const EMPTY_BASELINE: SocketBaseline = Object.freeze({ inodes: new Set<number>(), closing: undefined, takenAt: 0 });

/**
 * The socket a leak check against {@link EMPTY_BASELINE} names for the connection between these
 * two ports (the catalog shows one connection this way, whatever else the process holds).
 */
export function leakNamed(localPort: number | undefined, remotePort: number | undefined): SnapshotSocket | undefined {
  return leakedSince(EMPTY_BASELINE, false).leaked.find((s) => s.localPort === localPort && s.remotePort === remotePort);
}

/** A baseline made from a snapshot just taken. */
export function baselineOf(now: readonly SnapshotSocket[]): SocketBaseline {
  return {
    inodes: new Set(now.filter((s) => s.attribution === 'fd').map((s) => s.inode)),
    closing: new Set(now.filter((s) => s.attribution !== 'fd').map((s) => s.cookie)),
    takenAt: performance.now(),
  };
}

const HOLDERS = {
  fd: 'held by an fd of this process',
  listener: 'no fd: the accepted end of a connection to a listener of this process',
  peer: 'no fd: the connecting end of a connection to a listener of this process',
  filter: 'on a port the filter named',
} as const;

function endpoint(address: string, port: number, family: 4 | 6): string {
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * One line naming a socket: state, ends, who holds it, the timer and when it fires, how long it
 * has been idle (from tcp_info), and its queues. E.g. `CLOSE_WAIT 127.0.0.1:41234 →
 * 127.0.0.1:35871, held by an fd of this process, no timer, idle 12 ms, 0 bytes unread, 0 queued`.
 */
export function describeSocket(s: SnapshotSocket): string {
  const ends =
    s.state === 'LISTEN'
      ? `listening on ${endpoint(s.localAddress, s.localPort, s.family)}`
      : `${endpoint(s.localAddress, s.localPort, s.family)} → ${endpoint(s.remoteAddress, s.remotePort, s.family)}`;
  const timer =
    s.timer === null
      ? 'no timer'
      : `${s.timer} timer fires in ${s.timerMs} ms${s.timerRetries > 0 ? ` (${s.timerRetries} so far)` : ''}`;
  const parts = [`${s.state} ${ends}`, HOLDERS[s.attribution], timer];
  const info = s.tcpInfo;
  // tcp_info's three clocks are in every kernel's struct; a listener's say nothing useful.
  if (info !== undefined && s.state !== 'LISTEN') {
    parts.push(`idle ${Math.min(info.lastDataSentMs, info.lastDataRecvMs, info.lastAckRecvMs)} ms`);
  }
  // A TIME_WAIT socket has no queues left to show.
  if (s.state === 'LISTEN') parts.push(`${s.unread} waiting for accept()`);
  else if (s.state !== 'TIME_WAIT') parts.push(`${s.unread} bytes unread, ${s.queued} queued to send`);
  return parts.join(', ');
}
