/**
 * Errors shaped like Node's own: kernel failures carry `code`, `errno` (negative, as Node
 * reports it) and `syscall`; bad arguments are TypeError/RangeError with Node's `ERR_*` codes.
 */
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';

/** An Error carrying the fields Node puts on its SystemErrors. */
export interface SocketSystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  /** The socket option or ioctl involved, when there is one (`'TCP_INFO'`, `'SIOCINQ'`). */
  option?: string;
}

const namesByErrno = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

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
  validateInteger(errno, 'errno', 1, 2 ** 31 - 1);
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

function coded<E extends Error>(error: E, code: string): Coded<E> {
  return Object.assign(error, { code });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object';
  }
  if (typeof value === 'string') return `type string ('${value.slice(0, 25)}')`;
  return `type ${typeof value} (${String(value)})`;
}

/** TypeError with code `ERR_INVALID_ARG_TYPE`, worded like Node's. */
export function invalidArgType(name: string, expected: string, actual: unknown): Coded<TypeError> {
  return coded(
    new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

/** TypeError with code `ERR_INVALID_ARG_VALUE`: the right type, an unusable value. */
export function invalidArgValue(name: string, expected: string, actual: unknown): Coded<TypeError> {
  return coded(
    new TypeError(`The argument '${name}' must be ${expected}. Received ${describe(actual)}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

/** RangeError with code `ERR_OUT_OF_RANGE`, worded like Node's. */
export function outOfRange(name: string, range: string, actual: unknown): Coded<RangeError> {
  return coded(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(actual)}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** Error with a project or Node code and no errno (state errors such as ERR_SOCKET_CLOSED). */
export function codedError(code: string, message: string): Coded<Error> {
  return coded(new Error(message), code);
}

/** Checks an integer argument in [min, max]. */
export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

/** The answer of a privilege probe: `ok`, or why not (`code` is the kernel's errno name). */
export interface ProbeResult {
  ok: boolean;
  /** The errno name the probe met (`'EPERM'`), absent when `ok`. */
  code?: string;
  /** What is missing and what to do about it, absent when `ok`. */
  reason?: string;
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

/** Rewrites an EPERM from the kernel into the same error with a message saying what is missing. */
export function explainPermission(error: unknown, what: string): unknown {
  const e = error as PrivilegeError;
  if (e instanceof Error && e.code === 'EPERM') {
    e.message = `${e.syscall} EPERM: ${what}`;
    e.missing = 'CAP_NET_ADMIN';
  }
  return error;
}
