// sockctl/testing and sockctl/vitest at run time (their types: types.test.ts). The errors come
// from the kernel: a connect to a port nothing listens on is refused.
import net from 'node:net';
import { once } from 'node:events';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import 'sockctl/vitest';
import { errorCode, errorCodes, expectErrorCode, expectRejectsWithCode, sockctlMatchers } from '../src/testing.js';

/** An error whose code sits `depth` causes down (0: on the error itself). */
function nested(depth: number, code: string): Error {
  let error: Error = Object.assign(new Error('bottom'), { code });
  for (let i = 0; i < depth; i++) error = new Error(`level ${i}`, { cause: error });
  return error;
}

/** A loopback port with nothing listening on it (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('expectRejectsWithCode', () => {
  it('returns the Error whose cause carries the code (fetch) and the one that carries it itself', async () => {
    const port = await closedPort();
    const fetched = await expectRejectsWithCode(fetch(`http://127.0.0.1:${port}/`), 'ECONNREFUSED');
    expect(fetched).toBeInstanceOf(TypeError);
    expect(fetched.code).toBeUndefined();
    expect(fetched.cause).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
    const socket = net.connect(port, '127.0.0.1');
    const direct = await expectRejectsWithCode(() => once(socket, 'connect'), 'ECONNREFUSED');
    expect(direct).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
  });

  it('fails when the promise resolves, carries another code, or rejects with something not an Error', async () => {
    const assertion = (fields: object) =>
      expect.objectContaining({ code: 'ERR_ASSERTION', operator: 'expectRejectsWithCode', expected: 'EPIPE', ...fields });
    await expect(expectRejectsWithCode(Promise.resolve(1), 'EPIPE')).rejects.toThrow(assertion({}));
    await expect(
      expectRejectsWithCode(Promise.reject(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'EPIPE'),
    ).rejects.toThrow(expect.objectContaining({ code: 'ERR_ASSERTION', operator: 'expectErrorCode', actual: ['ECONNRESET'] }));
    await expect(expectRejectsWithCode(Promise.reject({ code: 'EPIPE' }), 'EPIPE')).rejects.toThrow(
      assertion({ actual: { code: 'EPIPE' } }),
    );
  });

  it('takes an Error from another realm (a vm context), where instanceof Error is false', async () => {
    const foreign = vm.runInNewContext("Object.assign(new Error('x'), { code: 'EPIPE' })") as Error;
    expect(foreign instanceof Error).toBe(false);
    await expect(expectRejectsWithCode(Promise.reject(foreign), 'EPIPE')).resolves.toBe(foreign);
  });
});

describe('errorCodes and errorCode', () => {
  it('collect string codes outermost first, skip other values, and follow at most 8 causes', () => {
    const error = Object.assign(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }), {
      code: 'ERR_X',
    });
    expect(errorCodes(error)).toEqual(['ERR_X', 'ECONNRESET']);
    expect(errorCode(error)).toBe('ERR_X');
    expect(errorCodes({ code: 104, cause: { code: 'EPIPE' } })).toEqual(['EPIPE']);
    expect(errorCode(new Error('none'))).toBeUndefined();
    expect(errorCodes(nested(7, 'EPIPE'))).toEqual(['EPIPE']);
    expect(errorCodes(nested(8, 'EPIPE'))).toEqual([]);
    expect(errorCodes('ECONNRESET')).toEqual([]);
  });
});

describe('expectErrorCode', () => {
  it('fails with an AssertionError carrying what it found and what it wanted', () => {
    const failure = (() => {
      try {
        expectErrorCode(nested(1, 'EPIPE'), 'ECONNRESET');
      } catch (e) {
        return e;
      }
    })();
    expect(failure).toMatchObject({
      name: 'AssertionError',
      code: 'ERR_ASSERTION',
      operator: 'expectErrorCode',
      expected: 'ECONNRESET',
      actual: ['EPIPE'],
    });
  });
});

describe('sockctl/vitest', () => {
  it('registered the matchers on import: direct, negated and asymmetric', async () => {
    const port = await closedPort();
    const error = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(error).toHaveErrorCode('ECONNREFUSED');
    expect(error).not.toHaveErrorCode('ECONNRESET');
    expect({ error }).toEqual({ error: expect.toHaveErrorCode('ECONNREFUSED') });
    expect(() => expect(error).toHaveErrorCode('EPIPE')).toThrow(
      expect.objectContaining({ actual: ['ECONNREFUSED'], expected: 'EPIPE' }),
    );
  });

  it('is the same matcher object sockctl/testing exports, with a message for both outcomes', () => {
    expect(Object.keys(sockctlMatchers)).toEqual(['toHaveErrorCode', 'toHaveSent', 'toHaveReceived']);
    const pass = sockctlMatchers.toHaveErrorCode(nested(2, 'EPIPE'), 'EPIPE');
    expect(pass).toMatchObject({ pass: true, actual: ['EPIPE'], expected: 'EPIPE' });
    const fail = sockctlMatchers.toHaveErrorCode(new Error('plain'), 'EPIPE');
    expect(fail).toMatchObject({ pass: false, actual: [], expected: 'EPIPE' });
    for (const result of [pass, fail]) expect(result.message()).toEqual(expect.any(String));
    expect(fail.message().length).toBeGreaterThan(0);
  });
});
