/**
 * The kernel's ECONNABORTED: destroying a socket from outside through netlink sock_diag
 * (SOCK_DESTROY, what `ss -K` sends), matched by its 4-tuple and its own SO_COOKIE.
 */
import { Server, type Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import { explainPermission, HOW_TO_GET_CAP_NET_ADMIN, systemError, type ProbeResult } from '../controls/errors.js';
import { invalidArgType } from '../controls/validate.js';
import { fdOf, type OwnedSocket, type SocketLike } from '../controls/handle.js';
import { native } from '../controls/native.js';

const KILL_EPERM = "SOCK_DESTROY needs CAP_NET_ADMIN over the socket's network namespace. " + HOW_TO_GET_CAP_NET_ADMIN;

const KILL_EOPNOTSUPP =
  'this kernel cannot destroy sockets: it was built without CONFIG_INET_DIAG_DESTROY ' +
  '(SOCK_DESTROY answers EOPNOTSUPP, errno 95, which Node names ENOTSUP).';

// errno 95 is both EOPNOTSUPP and ENOTSUP on Linux; Node (libuv) names it 'ENOTSUP'.
const { EOPNOTSUPP } = osConstants.errno;

// Measured on Debian's 6.1 kernel booted without its modules: inet_diag and tcp_diag are
// modules there, and without them every SOCK_DESTROY answers ENOENT, even for root.
const KILL_NO_HANDLER =
  'the kernel has no TCP handler for sock_diag: the inet_diag / tcp_diag modules are not ' +
  'loaded and could not be loaded on demand (as root: `modprobe tcp_diag`).';

const KILL_ENOENT =
  'no socket with this 4-tuple and cookie in this network namespace, or ' + KILL_NO_HANDLER + ' canKill() tells which.';

/** A SOCK_DESTROY failure with a message saying what is missing. Exported for tests. */
export function explain(error: unknown): unknown {
  const e = error as Error & { code?: unknown; syscall?: unknown; errno?: unknown };
  if (e instanceof Error && e.syscall === 'sock_diag') {
    if (e.errno === -EOPNOTSUPP) e.message = `sock_diag ${e.code}: ${KILL_EOPNOTSUPP}`;
    if (e.code === 'ENOENT') e.message = `sock_diag ENOENT: ${KILL_ENOENT}`;
  }
  return explainPermission(error, KILL_EPERM);
}

/**
 * Asks the kernel to destroy the connection (netlink `SOCK_DESTROY` with the socket's 4-tuple
 * and its own `SO_COOKIE`): the kernel aborts it as `ss -K` would — it sends RST to the peer,
 * moves the socket to CLOSE and records ECONNABORTED, so the owner's next operation fails
 * ECONNABORTED and the peer's fails ECONNRESET. On a net.Socket, Node emits 'error' with code
 * ECONNABORTED (syscall 'read') and then 'close'; the fd stays Node's and Node closes it.
 *
 * @remarks The cookie makes the request exact: it can only destroy the socket it was given,
 * never another one that holds (or later reuses) the same addresses. Needs CAP_NET_ADMIN over
 * the socket's network namespace — inside a user + network namespace ({@link runInNetns}) too —
 * and a kernel built with CONFIG_INET_DIAG_DESTROY. Errors: `EPERM` (`syscall` `'sock_diag'`,
 * `request` `'SOCK_DESTROY'`, `missing` `'CAP_NET_ADMIN'`), `ENOTSUP` (errno 95, EOPNOTSUPP: kernel without
 * the feature), `ENOENT` (no such socket in this network namespace — or no TCP sock_diag
 * handler: inet_diag / tcp_diag not loaded; {@link canKill} tells which), `ENOTCONN` (`syscall`
 * `'getpeername'`: the socket has no peer — not connected, already reset or killed),
 * `ERR_SOCKET_CLOSED` for a destroyed net.Socket. Listening sockets are refused. Probe with
 * {@link canKill}. See sock_diag(7), ss(8) `--kill`,
 * https://man7.org/linux/man-pages/man7/sock_diag.7.html
 */
export function kill(socket: Socket | OwnedSocket): void {
  if (socket instanceof Server) {
    throw invalidArgType('socket', 'a connection, not a net.Server', socket);
  }
  const fd = fdOf(socket);
  try {
    native.diag.kill(fd);
  } catch (error) {
    throw explain(error);
  }
}

/**
 * Reads `SO_COOKIE`: the kernel's 64-bit id of the socket, unique within its network namespace
 * for as long as the namespace lives. The same number `ss -e` prints as `sk:` (in hex).
 *
 * @remarks Linux ≥ 4.13 for TCP sockets. See socket(7) `SO_COOKIE`,
 * https://man7.org/linux/man-pages/man7/socket.7.html
 */
export function socketCookie(socket: SocketLike): bigint {
  return native.diag.cookie(fdOf(socket));
}

/**
 * Probes whether {@link kill} can work here: opens a throwaway connection on 127.0.0.1,
 * destroys its client end with SOCK_DESTROY and closes everything. The answer comes from the
 * running kernel: `{ ok: false, code: 'EPERM' }` without CAP_NET_ADMIN, `'ENOTSUP'` (errno 95, EOPNOTSUPP) on a
 * kernel without CONFIG_INET_DIAG_DESTROY, `'ENOENT'` when the kernel has no TCP sock_diag
 * handler (inet_diag / tcp_diag modules not loaded), `'ENETUNREACH'` when loopback is down.
 *
 * @remarks Needs 127.0.0.1 reachable (lo up): in a fresh network namespace it answers
 * ENETUNREACH until {@link loopbackUp}. See sock_diag(7),
 * https://man7.org/linux/man-pages/man7/sock_diag.7.html
 */
export function canKill(): ProbeResult {
  const [errno, step] = native.diag.probeKill();
  return errno === 0 ? { ok: true } : probeFailure(errno, step);
}

/** What canKill() answers when the probe's `step` failed with `errno`. Exported for tests. */
export function probeFailure(errno: number, step: string): ProbeResult {
  const { code } = systemError(errno, step);
  let reason: string;
  if (code === 'EPERM') reason = KILL_EPERM;
  else if (errno === EOPNOTSUPP && step === 'sock_diag') reason = KILL_EOPNOTSUPP;
  // The throwaway socket certainly exists: ENOENT can only mean the handler is missing.
  else if (code === 'ENOENT' && step === 'sock_diag') reason = KILL_NO_HANDLER;
  else if (step !== 'sock_diag') {
    reason = `${step} ${code}: could not set up a throwaway connection on 127.0.0.1 to probe (is lo up?).`;
  } else reason = `sock_diag ${code}: the kernel refused SOCK_DESTROY on a throwaway socket.`;
  return { ok: false, code, reason };
}
