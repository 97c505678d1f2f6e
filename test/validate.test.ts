// Argument checks shared by every module (src/controls/validate.ts), through the calls that use
// them: the code and the error class a bad argument gets, before any syscall.
import { describe, expect, it } from 'vitest';
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
