/**
 * Errors shaped like Node's own: kernel failures carry `code`, `errno` (negative, as Node
 * reports it) and `syscall`. Bad arguments are validate.ts's TypeError/RangeError.
 */
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { INT32_MAX, invalidArgType, validateInteger } from './validate.js';

/** An Error carrying the fields Node puts on its SystemErrors. */
export interface SocketSystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  /** The socket option or ioctl involved, when there is one (`'TCP_INFO'`, `'SIOCINQ'`). */
  option?: string;
}

const namesByErrno = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/**
 * The name of a negative errno as Node spells it (`-104` → 'ECONNRESET'). libuv's table, which
 * util.getSystemErrorName uses, lacks a few (EINPROGRESS): those come from the platform's
 * errno constants instead.
 */
export function errnoName(errno: number): string {
  const name = getSystemErrorName(errno);
  return name.startsWith('Unknown system error') ? (namesByErrno.get(-errno) ?? name) : name;
}

/** Builds a Node-shaped error from a positive errno value, e.g. `systemError(104, 'recv')`. */
export function systemError(errno: number, syscall: string, option?: string): SocketSystemError {
  validateInteger(errno, 'errno', 1, INT32_MAX);
  if (typeof syscall !== 'string') throw invalidArgType('syscall', 'of type string', syscall);
  if (option !== undefined && typeof option !== 'string') throw invalidArgType('option', 'of type string', option);
  const code = errnoName(-errno);
  const error = new Error(`${syscall} ${code}`) as SocketSystemError;
  error.errno = -errno;
  error.code = code;
  error.syscall = syscall;
  if (option !== undefined) error.option = option;
  return error;
}

type Coded<E extends Error> = E & { code: string };

/** Error with a project or Node code and no errno (state errors such as ERR_SOCKET_CLOSED). */
export function codedError(code: string, message: string): Coded<Error> {
  return Object.assign(new Error(message), { code });
}

/** The answer of a privilege probe: `ok`, or why not (`code` is the kernel's errno name). */
export interface ProbeResult {
  ok: boolean;
  /** The errno name the probe met (`'EPERM'`), absent when `ok`. */
  code?: string;
  /** What is missing and what to do about it, absent when `ok`. */
  reason?: string;
}

/**
 * A probe's answer from what the kernel said at `step` (`errno` 0: ok): EPERM gets `eperm`
 * (what is missing and how to get it), any other errno `<step> <code>: <refused>`.
 */
export function probeAnswer(errno: number, step: string, eperm: string, refused: string): ProbeResult {
  if (errno === 0) return { ok: true };
  const { code } = systemError(errno, step);
  return { ok: false, code, reason: code === 'EPERM' ? eperm : `${step} ${code}: ${refused}` };
}

/** A SystemError of a privileged operation, naming the privilege it lacked. */
export interface PrivilegeError extends SocketSystemError {
  /** The capability the kernel asked for (`'CAP_NET_ADMIN'`), set for EPERM. */
  missing?: string;
}

/** The ways to CAP_NET_ADMIN, for the messages of privileged operations. */
export const HOW_TO_GET_CAP_NET_ADMIN =
  'Run as root, grant the process CAP_NET_ADMIN, or run it inside an unprivileged user + ' +
  'network namespace, where the capability is held over the namespace: ' +
  '`sockctl-netns -- <command>` or runInNetns() from sockctl (util-linux `unshare -Urn`, ' +
  'loopback brought up).';

/** The ways to CAP_NET_RAW (raw and packet sockets), for the messages of capture and forging. */
export const HOW_TO_GET_CAP_NET_RAW =
  'Run as root, grant the process CAP_NET_RAW, or run it inside an unprivileged user + network ' +
  'namespace, where the capability is held over the namespace: `sockctl-netns -- <command>` or ' +
  'runInNetns() from sockctl (util-linux `unshare -Urn`, loopback brought up).';

/** Rewrites an EPERM from the kernel into the same error with a message saying what is missing. */
export function explainPermission(error: unknown, what: string, missing = 'CAP_NET_ADMIN'): unknown {
  const e = error as PrivilegeError;
  if (e instanceof Error && e.code === 'EPERM') {
    e.message = `${e.syscall} EPERM: ${what}`;
    e.missing = missing;
  }
  return error;
}
