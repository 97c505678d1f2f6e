// Argument checks shared by every module (src/controls/validate.ts), through the calls that use
// them: the code and the error class a bad argument gets, before any syscall.
import { describe, expect, it } from 'vitest';
import * as validate from '../src/controls/validate.js';
import { RawSocket } from '../src/index.js';

describe('validateFamily (RawSocket.create)', () => {
  it('takes 4 and 6; another number is out of range, anything else the wrong type', () => {
    for (const family of [4, 6] as const) RawSocket.create(family).close();
    for (const bad of [5, 0, -4, 4.5, NaN]) {
      expect(() => RawSocket.create(bad as 4), String(bad)).toThrow(
        expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }),
      );
    }
    for (const bad of ['4', null, {}]) {
      expect(() => RawSocket.create(bad as unknown as 4), String(bad)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
      );
    }
  });
});

describe('validateOneOf (RawSocket#shutdown)', () => {
  it('takes one of the names; another string is an invalid value, another type the wrong type', () => {
    const socket = RawSocket.create(4);
    try {
      expect(() => socket.shutdown('sideways' as 'read')).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }),
      );
      expect(() => socket.shutdown(1 as unknown as 'read')).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
      );
      // Valid names reach the kernel: an unconnected socket answers ENOTCONN.
      expect(socket.shutdown('write')).toMatchObject({ ok: false, code: 'ENOTCONN', syscall: 'shutdown' });
    } finally {
      socket.close();
    }
  });
});

// The checks themselves, called directly: the exact message a user reads (the library's errors are
// worded like Node's own), every bound accepted at its edge and refused one step past it.
describe('the checks in src/controls/validate.ts', () => {
  const v = validate;
  const throwsWith = (fn: () => unknown, name: string, code: string, message: string) => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(name === 'RangeError' ? RangeError : TypeError);
    expect(caught).toMatchObject({ name, code, message });
  };

  it('names what it received the way Node does', () => {
    const received = (value: unknown) => {
      try {
        v.validateBoolean(value, 'flag', false);
      } catch (e) {
        return (e as Error).message.replace('The "flag" argument must be of type boolean. Received ', '');
      }
      throw new Error('accepted');
    };
    expect(received(null)).toBe('null');
    expect(received(function named() {})).toBe('function named');
    expect(received(() => {})).toBe('function <anonymous>');
    expect(received({})).toBe('an instance of Object');
    expect(received(new Map())).toBe('an instance of Map');
    expect(received(Object.create(null))).toBe('an object');
    expect(received({ constructor: { name: '' } })).toBe('an object');
    expect(received({ constructor: { name: 7 } })).toBe('an object');
    expect(received('short')).toBe("type string ('short')");
    expect(received('x'.repeat(40))).toBe(`type string ('${'x'.repeat(25)}')`);
    expect(received(12)).toBe('type number (12)');
    expect(received(10n)).toBe('type bigint (10)');
    expect(received(Symbol('s'))).toBe('type symbol (Symbol(s))');
    expect(v.invalidArgType('a', 'of type number', undefined).message).toBe(
      'The "a" argument must be of type number. Received undefined',
    );
  });

  it('the three error kinds: class, code and wording', () => {
    expect(v.invalidArgType('n', 'of type number', 'x')).toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message: `The "n" argument must be of type number. Received type string ('x')`,
    });
    expect(v.invalidArgValue('n', "'a', 'b'", 'x')).toMatchObject({
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
      message: `The argument 'n' must be 'a', 'b'. Received type string ('x')`,
    });
    expect(v.outOfRange('n', '>= 1', 0)).toMatchObject({
      name: 'RangeError',
      code: 'ERR_OUT_OF_RANGE',
      message: 'The value of "n" is out of range. It must be >= 1. Received 0',
    });
  });

  it('the C int bounds and the longest duration', () => {
    expect([v.INT32_MAX, v.INT32_MIN, v.MAX_MS, v.MAX_BACKLOG]).toEqual([2147483647, -2147483648, 2147483647, 65535]);
  });

  it('validateInteger: both ends inclusive, fractions and NaN out of range, other types refused', () => {
    expect(v.validateInteger(-3, 'n', -3, 9)).toBe(-3);
    expect(v.validateInteger(9, 'n', -3, 9)).toBe(9);
    for (const bad of [-4, 10, 1.5, NaN, Infinity]) {
      throwsWith(
        () => v.validateInteger(bad, 'n', -3, 9),
        'RangeError',
        'ERR_OUT_OF_RANGE',
        `The value of "n" is out of range. It must be an integer >= -3 and <= 9. Received ${bad}`,
      );
    }
    throwsWith(
      () => v.validateInteger('1', 'n', 0, 1),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      `The "n" argument must be of type number. Received type string ('1')`,
    );
  });

  it('validateMs: 0 to 2^31-1 ms, the fallback only for undefined', () => {
    expect(v.validateMs(undefined, 'ms', 250)).toBe(250);
    expect(v.validateMs(0, 'ms', 250)).toBe(0);
    expect(v.validateMs(2 ** 31 - 1, 'ms', 250)).toBe(2 ** 31 - 1);
    expect(() => v.validateMs(2 ** 31, 'ms', 250)).toThrow(/must be an integer >= 0 and <= 2147483647/);
    expect(() => v.validateMs(-1, 'ms', 250)).toThrow(RangeError);
    expect(() => v.validateMs(null, 'ms', 250)).toThrow(TypeError);
  });

  it('validatePort: 0 allowed unless min is 1, 65535 the top', () => {
    expect(v.validatePort(0, 'port')).toBe(0);
    expect(v.validatePort(65535, 'port')).toBe(65535);
    expect(() => v.validatePort(65536, 'port')).toThrow(/It must be an integer >= 0 and <= 65535. Received 65536/);
    expect(v.validatePort(1, 'port', 1)).toBe(1);
    expect(() => v.validatePort(0, 'port', 1)).toThrow(/It must be an integer >= 1 and <= 65535. Received 0/);
  });

  it('validateBacklog: 0 to 65535', () => {
    expect(v.validateBacklog(0, 'backlog')).toBe(0);
    expect(v.validateBacklog(65535, 'backlog')).toBe(65535);
    expect(() => v.validateBacklog(65536, 'backlog')).toThrow(/>= 0 and <= 65535/);
    expect(() => v.validateBacklog(-1, 'backlog')).toThrow(RangeError);
  });

  it('validateObject: {} for undefined, the same object back, null and primitives refused', () => {
    expect(v.validateObject(undefined, 'options')).toEqual({});
    const options = { a: 1 };
    expect(v.validateObject(options, 'options')).toBe(options);
    for (const [bad, received] of [
      [null, 'null'],
      ['x', "type string ('x')"],
      [3, 'type number (3)'],
    ] as const) {
      throwsWith(
        () => v.validateObject(bad as unknown as object, 'options'),
        'TypeError',
        'ERR_INVALID_ARG_TYPE',
        `The "options" argument must be of type object. Received ${received}`,
      );
    }
  });

  it('validateBoolean: the fallback only for undefined', () => {
    expect(v.validateBoolean(undefined, 'b', true)).toBe(true);
    expect(v.validateBoolean(undefined, 'b', false)).toBe(false);
    expect(v.validateBoolean(false, 'b', true)).toBe(false);
    expect(v.validateBoolean(true, 'b', false)).toBe(true);
    throwsWith(
      () => v.validateBoolean(0, 'b', true),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      'The "b" argument must be of type boolean. Received type number (0)',
    );
  });

  it('validateFunction', () => {
    const fn = () => 1;
    expect(v.validateFunction(fn, 'fn')).toBe(fn);
    throwsWith(
      () => v.validateFunction({}, 'fn'),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      'The "fn" argument must be of type function. Received an instance of Object',
    );
  });

  it('validateOneOf: names every allowed value', () => {
    expect(v.validateOneOf('b', 'mode', ['a', 'b'])).toBe('b');
    throwsWith(
      () => v.validateOneOf('c', 'mode', ['a', 'b']),
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
      `The argument 'mode' must be 'a', 'b'. Received type string ('c')`,
    );
    throwsWith(
      () => v.validateOneOf(1, 'mode', ['a']),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      'The "mode" argument must be of type string. Received type number (1)',
    );
  });

  it('validateFamily: 4 or 6', () => {
    expect(v.validateFamily(4, 'family')).toBe(4);
    expect(v.validateFamily(6, 'family')).toBe(6);
    throwsWith(
      () => v.validateFamily(5, 'family'),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      'The value of "family" is out of range. It must be 4 or 6. Received 5',
    );
    throwsWith(
      () => v.validateFamily('4', 'family'),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      `The "family" argument must be of type number. Received type string ('4')`,
    );
  });

  it('validateIpLiteral: the family of a literal, never a name', () => {
    expect(v.validateIpLiteral('127.0.0.1', 'host')).toBe(4);
    expect(v.validateIpLiteral('::1', 'host')).toBe(6);
    throwsWith(
      () => v.validateIpLiteral('localhost', 'host'),
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
      `The argument 'host' must be an IPv4 or IPv6 address literal. Received type string ('localhost')`,
    );
    throwsWith(
      () => v.validateIpLiteral(127, 'host'),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      'The "host" argument must be of type string. Received type number (127)',
    );
  });

  it('validateKeys: names the unknown key and the known ones', () => {
    expect(() => v.validateKeys({ a: 1, b: 2 }, 'options', ['a', 'b'])).not.toThrow();
    throwsWith(
      () => v.validateKeys({ a: 1, colour: 2 }, 'options', ['a', 'b']),
      'TypeError',
      'ERR_INVALID_ARG_VALUE',
      `The argument 'options.colour' must be one of the known keys (a, b); unknown key. Received type string ('colour')`,
    );
  });

  it('validateNumber: finite, both ends inclusive', () => {
    expect(v.validateNumber(0, 'p', 0, 1)).toBe(0);
    expect(v.validateNumber(1, 'p', 0, 1)).toBe(1);
    expect(v.validateNumber(0.25, 'p', 0, 1)).toBe(0.25);
    for (const bad of [-0.01, 1.01, NaN, Infinity]) {
      throwsWith(
        () => v.validateNumber(bad, 'p', 0, 1),
        'RangeError',
        'ERR_OUT_OF_RANGE',
        `The value of "p" is out of range. It must be >= 0 and <= 1. Received ${bad}`,
      );
    }
    throwsWith(
      () => v.validateNumber('1', 'p', 0, 1),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      `The "p" argument must be of type number. Received type string ('1')`,
    );
  });

  it('validateBytes: a string as UTF-8, bytes as they are, the limit in bytes', () => {
    expect(Buffer.from(v.validateBytes('é', 'data', 2)).toString('hex')).toBe('c3a9');
    const bytes = new Uint8Array([1, 2, 3]);
    expect(v.validateBytes(bytes, 'data', 3)).toBe(bytes);
    throwsWith(
      () => v.validateBytes('é', 'data', 1),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      'The value of "data.length" is out of range. It must be <= 1 bytes. Received 2',
    );
    throwsWith(
      () => v.validateBytes(bytes, 'data', 2),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      'The value of "data.length" is out of range. It must be <= 2 bytes. Received 3',
    );
    throwsWith(
      () => v.validateBytes([1], 'data', 9),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      'The "data" argument must be of type string or an instance of Uint8Array. Received an instance of Array',
    );
  });

  it('validateArray: at most max items', () => {
    const items = [1, 2];
    expect(v.validateArray(items, 'list', 2)).toBe(items);
    throwsWith(
      () => v.validateArray(items, 'list', 1),
      'RangeError',
      'ERR_OUT_OF_RANGE',
      'The value of "list.length" is out of range. It must be <= 1. Received 2',
    );
    throwsWith(
      () => v.validateArray('ab', 'list', 9),
      'TypeError',
      'ERR_INVALID_ARG_TYPE',
      `The "list" argument must be an instance of Array. Received type string ('ab')`,
    );
  });

  it('orDefault: only undefined takes the fallback', () => {
    expect(v.orDefault(undefined, 5)).toBe(5);
    expect(v.orDefault(null, 5)).toBe(null);
    expect(v.orDefault(0, 5)).toBe(0);
  });
});
