/**
 * Errors shaped like Node's own: kernel failures carry `code`, `errno` (negative, as Node
 * reports it) and `syscall`; bad arguments are TypeError/RangeError with Node's `ERR_*` codes.
 */
import { getSystemErrorName } from 'node:util';

/** An Error carrying the fields Node puts on its SystemErrors. */
export interface SocketSystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  /** The socket option or ioctl involved, when there is one (`'TCP_INFO'`, `'SIOCINQ'`). */
  option?: string;
}

/** Builds a Node-shaped error from a positive errno value, e.g. `systemError(104, 'recv')`. */
export function systemError(errno: number, syscall: string, option?: string): SocketSystemError {
  validateInteger(errno, 'errno', 1, 2 ** 31 - 1);
  if (typeof syscall !== 'string') throw invalidArgType('syscall', 'of type string', syscall);
  if (option !== undefined && typeof option !== 'string') throw invalidArgType('option', 'of type string', option);
  const code = getSystemErrorName(-errno);
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
