/**
 * A silent peer without a network: a classic BPF socket filter that drops every packet for one
 * socket, so the other side of the connection meets real retransmission timeouts.
 */
import type { ProbeResult } from '../controls/errors.js';
import type { SocketLike } from '../controls/handle.js';
import { attachFilter, canAttachFilter, detachFilter, DROP_ALL } from './filter.js';

/**
 * Attaches a drop-all classic BPF filter (one instruction, `ret #0`) with `SO_ATTACH_FILTER`:
 * the kernel discards every segment arriving for this socket before TCP sees it — no ACK, no
 * RST. The other side's unacknowledged data, keepalive probes or SYN then hit real
 * retransmission timeouts (ETIMEDOUT through `TCP_USER_TIMEOUT`, keepalive or `TCP_SYNCNT`).
 * On a listening net.Server it silences the listener: SYNs to it go unanswered.
 *
 * @remarks Needs CAP_NET_ADMIN over the socket's network namespace on kernels from 6.1.176,
 * 6.12 and 6.18; without it the kernel answers EPERM and this throws that error (`code`
 * `'EPERM'`, `errno` -1, `syscall` `'setsockopt'`, `option` `'SO_ATTACH_FILTER'`,
 * `missing` `'CAP_NET_ADMIN'`). There is no weaker fallback. An unprivileged user gets the
 * capability inside a user + network namespace ({@link runInNetns}). Probe first with
 * {@link canBlackhole}. Replaces any filter the socket had. Only packets arriving for this
 * socket are dropped; what it sends still leaves. See socket(7) `SO_ATTACH_FILTER`,
 * https://man7.org/linux/man-pages/man7/socket.7.html
 */
export function blackhole(socket: SocketLike): void {
  attachFilter(socket, DROP_ALL);
}

/**
 * Detaches the socket's filter with `SO_DETACH_FILTER`: segments reach TCP again, and the
 * retransmissions the peer is still sending are answered.
 *
 * @remarks Throws ENOENT (`syscall` `'setsockopt'`, `option` `'SO_DETACH_FILTER'`) when no
 * filter is attached. A connection whose timeout already fired stays dead. See socket(7),
 * https://man7.org/linux/man-pages/man7/socket.7.html
 */
export function unblackhole(socket: SocketLike): void {
  detachFilter(socket);
}

/**
 * Probes whether {@link blackhole} can work here: attaches the drop-all filter to a throwaway,
 * unconnected IPv4 TCP socket and closes it. The answer comes from the running kernel, not from
 * the uid.
 *
 * @remarks `{ ok: false, code: 'EPERM', reason }` without CAP_NET_ADMIN on current kernels.
 * See socket(7) `SO_ATTACH_FILTER`, https://man7.org/linux/man-pages/man7/socket.7.html
 */
export function canBlackhole(): ProbeResult {
  return canAttachFilter();
}
