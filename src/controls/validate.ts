/**
 * Argument errors and checks, one per kind of value, shared by every part of the library. Each
 * check throws Node's coded errors (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`)
 * before anything reaches the kernel, and returns the checked value.
 */
import { isIP } from 'node:net';

type Coded<E extends Error> = E & { code: string };

function coded<E extends Error>(error: E, code: string): Coded<E> {
  return Object.assign(error, { code });
}

/** How Node's own argument errors name what they received. */
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
  return coded(new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
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

/** The largest value of a C `int`: the kernel's bound for socket options and timeouts in ms. */
export const INT32_MAX = 2 ** 31 - 1;
/** The smallest value of a C `int`. */
export const INT32_MIN = -(2 ** 31);
/** The longest duration accepted, ms: what setTimeout and a C `int` of milliseconds can hold. */
export const MAX_MS = INT32_MAX;
/** listen(2) backlogs above net.core.somaxconn are clamped by the kernel; a u16 bounds them. */
export const MAX_BACKLOG = 65535;

/** An integer in [min, max]. */
export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

/** A duration in ms, 0 to {@link MAX_MS}; `fallback` when undefined. */
export function validateMs(value: unknown, name: string, fallback: number): number {
  return value === undefined ? fallback : validateInteger(value, name, 0, MAX_MS);
}

/** A TCP port; `min` 1 where port 0 (let the kernel pick) makes no sense. */
export function validatePort(value: unknown, name: string, min: 0 | 1 = 0): number {
  return validateInteger(value, name, min, 65535);
}

/** A listen(2) backlog. */
export function validateBacklog(value: unknown, name: string): number {
  return validateInteger(value, name, 0, MAX_BACKLOG);
}

/** An options object: `{}` when undefined, a TypeError for anything but a non-null, non-array object. */
export function validateObject<T extends object>(value: T | undefined, name: string): Partial<T> {
  if (value === undefined) return {};
  // As Node's own validateObject: an array is no options object.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgType(name, 'of type object', value);
  return value;
}

/** A boolean; `fallback` when undefined. */
export function validateBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** A function. */
export function validateFunction<F extends (...args: never[]) => unknown>(value: unknown, name: string): F {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value as F;
}

/** A string, one of `allowed`. */
export function validateOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalidArgValue(name, allowed.map((a) => `'${a}'`).join(', '), value);
  }
  return value as T;
}

/** An address family: 4 or 6. */
export function validateFamily(value: unknown, name: string): 4 | 6 {
  if (value === 4 || value === 6) return value;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  throw outOfRange(name, '4 or 6', value);
}

/**
 * An IPv4 or IPv6 address literal (never a name: nothing here resolves through DNS); returns its
 * family.
 */
export function validateIpLiteral(value: unknown, name: string): 4 | 6 {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  const family = isIP(value);
  if (family === 0) throw invalidArgValue(name, 'an IPv4 or IPv6 address literal', value);
  return family as 4 | 6;
}

/**
 * Refuses keys `allowed` does not name (a misspelled option would otherwise be ignored in
 * JavaScript): ERR_INVALID_ARG_VALUE naming the key and the known ones.
 */
export function validateKeys(value: object, name: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw invalidArgValue(`${name}.${key}`, `one of the known keys (${allowed.join(', ')}); unknown key`, key);
    }
  }
}

/** A finite number in [min, max] (fractions, rates). */
export function validateNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw outOfRange(name, `>= ${min} and <= ${max}`, value);
  }
  return value;
}

/** A string or the bytes of one: what a fixture sends. At most `maxBytes` long. */
export function validateBytes(value: unknown, name: string, maxBytes: number): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string')
    bytes = Buffer.from(value); // UTF-8
  else if (value instanceof Uint8Array) bytes = value;
  else throw invalidArgType(name, 'of type string or an instance of Uint8Array', value);
  if (bytes.byteLength > maxBytes) throw outOfRange(`${name}.length`, `<= ${maxBytes} bytes`, bytes.byteLength);
  return bytes;
}

/** An Array of at most `max` items. */
export function validateArray(value: unknown, name: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  if (value.length > max) throw outOfRange(`${name}.length`, `<= ${max}`, value.length);
  return value;
}

/** `value`, or `fallback` when it is undefined (null is a value, and refused by the check after). */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}
