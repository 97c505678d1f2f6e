// sockctl/testing and sockctl/vitest at run time (their types: types.test.ts). The errors come
// from the kernel: a connect to a port nothing listens on is refused.
import net from 'node:net';
import { once } from 'node:events';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import 'sockctl/vitest';
import {
  errorCode,
  errorCodes,
  expectErrorCode,
  expectReceived,
  expectRejectsWithCode,
  expectSent,
  sockctlMatchers,
} from '../src/testing.js';
import { caught, messageOf } from './helpers.js';

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

describe('the messages a failing assertion prints', () => {
  it('expectErrorCode lists the codes along the chain, or what it got instead', () => {
    const chain = Object.assign(new Error('outer', { cause: Object.assign(new Error('x'), { code: 'EPIPE' }) }), {
      code: 'ERR_X',
    });
    expect(caught(() => expectErrorCode(chain, 'ECONNRESET')).message).toBe(
      'expected an error with code ECONNRESET (on it or its cause), got ERR_X → EPIPE',
    );
    expect(caught(() => expectErrorCode(new RangeError('r'), 'EPIPE')).message).toBe(
      'expected an error with code EPIPE (on it or its cause), got RangeError without a code',
    );
    expect(caught(() => expectErrorCode(undefined, 'EPIPE')).message).toBe(
      'expected an error with code EPIPE (on it or its cause), got undefined',
    );
    expect(caught(() => expectErrorCode(7, 'EPIPE')).message).toBe(
      'expected an error with code EPIPE (on it or its cause), got number',
    );
    expect(expectErrorCode(chain, 'EPIPE')).toBe(chain);
  });

  it('expectRejectsWithCode says it resolved, or what it rejected with', async () => {
    await expect(expectRejectsWithCode(Promise.resolve(1), 'EPIPE')).rejects.toThrow(
      'expected a rejection with code EPIPE, but it resolved',
    );
    await expect(expectRejectsWithCode(Promise.reject({ code: 'EPIPE' }), 'EPIPE')).rejects.toThrow(
      'expected a rejection with an Error, got object',
    );
    const error = Object.assign(new Error('e'), { code: 'EPIPE' });
    await expect(expectRejectsWithCode(() => Promise.reject(error), 'EPIPE')).resolves.toBe(error);
  });

  it('toHaveErrorCode: one message for each outcome, naming the codes found', () => {
    const pass = sockctlMatchers.toHaveErrorCode(nested(1, 'EPIPE'), 'EPIPE');
    expect(pass.message()).toBe('expected no code EPIPE on the error or its cause, found EPIPE');
    const fail = sockctlMatchers.toHaveErrorCode(nested(1, 'EPIPE'), 'ECONNRESET');
    expect(fail.pass).toBe(false);
    expect(fail.message()).toBe('expected code ECONNRESET on the error or its cause, found EPIPE');
    expect(sockctlMatchers.toHaveErrorCode(new TypeError('t'), 'EPIPE').message()).toBe(
      'expected code EPIPE on the error or its cause, found TypeError without a code',
    );
    expect(sockctlMatchers.toHaveErrorCode(null, 'EPIPE').message()).toBe(
      'expected code EPIPE on the error or its cause, found object',
    );
    // A chain of codes is listed outermost first, joined by arrows, in both messages.
    const chain = Object.assign(new Error('outer', { cause: nested(0, 'ECONNRESET') }), { code: 'ERR_X' });
    expect(sockctlMatchers.toHaveErrorCode(chain, 'ECONNRESET').message()).toBe(
      'expected no code ECONNRESET on the error or its cause, found ERR_X → ECONNRESET',
    );
    expect(sockctlMatchers.toHaveErrorCode(chain, 'EPIPE').message()).toBe(
      'expected code EPIPE on the error or its cause, found ERR_X → ECONNRESET',
    );
    expect(sockctlMatchers.toHaveErrorCode(undefined, 'EPIPE').message()).toBe(
      'expected code EPIPE on the error or its cause, found undefined',
    );
  });
});

// The wire matchers judge the segments a capture recorded (faults-wire.test.ts captures real ones);
// here, a hand-written record pins down what each flag, count and end means.
describe('expectSent / expectReceived / toHaveSent / toHaveReceived', () => {
  const wire = {
    self: 'client',
    segments: [
      { from: 'client', flags: 'S' },
      { from: 'server', flags: 'S.' },
      { from: 'client', flags: '.' },
      { from: 'client', flags: 'P.' },
      { from: 'client', flags: 'R.' },
      { from: 'server', flags: 'R', forged: true },
    ],
  };

  it('counts the segments carrying every letter asked for, from the end asked about', () => {
    expect(expectSent(wire, 'R')).toBe(wire);
    expect(expectSent(wire, 'R.', 1)).toBe(wire);
    expect(expectSent(wire, '.', 3)).toBe(wire);
    expect(expectSent(wire, 'F', 0)).toBe(wire);
    expect(expectReceived(wire, 'S.', 1)).toBe(wire);
    expect(expectReceived(wire, 'S', 1)).toBe(wire);
    // The forged RST is not the peer's own.
    expect(expectReceived(wire, 'R', 0)).toBe(wire);
  });

  it('fails naming the end, what was wanted and everything it sent', () => {
    expect(caught(() => expectSent(wire, 'R', 2))).toMatchObject({
      code: 'ERR_ASSERTION',
      operator: 'expectSent',
      message: 'expected the client to have sent 2 × R; it sent: S . P. R. (1 with R)',
      actual: 'S . P. R.',
      expected: 'R',
    });
    expect(caught(() => expectSent(wire, 'F'))).toMatchObject({
      message: 'expected the client to have sent F; it sent: S . P. R. (0 with F)',
    });
    expect(caught(() => expectReceived(wire, 'R'))).toMatchObject({
      operator: 'expectReceived',
      message: 'expected the server to have sent R; it sent: S. (0 with R)',
    });
    const server = { self: 'server', segments: wire.segments };
    expect(caught(() => expectReceived(server, 'F'))).toMatchObject({
      message: 'expected the client to have sent F; it sent: S . P. R. (0 with F)',
    });
    expect(caught(() => expectSent({ self: 'server', segments: [] }, 'R'))).toMatchObject({
      message: 'expected the server to have sent R; it sent: nothing (0 with R)',
    });
  });

  it('finds the wire on a record and on a client holding one; says so when there is none', () => {
    expect(expectSent({ wire }, 'R')).toEqual({ wire });
    expect(expectSent({ record: { wire } }, 'R')).toEqual({ record: { wire } });
    for (const [value, role] of [
      [{ index: 0 }, 'this end'],
      [{ record: {} }, 'this end'],
      [{ wire: { self: 'client' } }, 'this end'],
      [{ wire: { segments: [] } }, 'this end'],
      [null, 'this end'],
    ] as const) {
      expect(caught(() => expectSent(value, 'R')).message).toBe(
        `expected ${role} to have sent R; it sent: no wire record (create the fixture with { capture: true })`,
      );
    }
    expect(caught(() => expectReceived({}, 'R')).message).toBe(
      'expected its peer to have sent R; it sent: no wire record (create the fixture with { capture: true })',
    );
    // Something that is not an object at all has no wire either.
    for (const value of ['R', 7, undefined]) {
      expect(caught(() => expectSent(value, 'R')).message).toBe(
        'expected this end to have sent R; it sent: no wire record (create the fixture with { capture: true })',
      );
    }
    // A wire that also carries a `record` is that wire, not the record's.
    expect(expectSent({ ...wire, record: { wire: { self: 'client', segments: [] } } }, 'R')).toBeTruthy();
    // A record whose wire sits beside `record` is read from `wire`.
    expect(expectSent({ wire, record: {} }, 'R')).toBeTruthy();
  });

  it('the matchers: pass and fail, each with the message of the other outcome', () => {
    const pass = sockctlMatchers.toHaveSent(wire, 'R');
    expect(pass).toMatchObject({ pass: true, actual: 'S . P. R.', expected: 'R' });
    expect(pass.message()).toBe('expected the client not to have sent R; it sent: S . P. R. (1 with R)');
    const fail = sockctlMatchers.toHaveReceived(wire, 'R', 1);
    expect(fail).toMatchObject({ pass: false, actual: 'S.', expected: 'R' });
    expect(fail.message()).toBe('expected the server to have sent 1 × R; it sent: S. (0 with R)');
    expect(sockctlMatchers.toHaveReceived(wire, 'S.').pass).toBe(true);
  });

  it('refuses flags that are not tcpdump letters and counts out of range', () => {
    expect(() => expectSent(wire, 'X')).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_VALUE',
        message: `The argument 'flags' must be tcpdump's flag letters (S F R P . U E W). Received type string ('X')`,
      }),
    );
    expect(() => expectSent(wire, '')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => expectSent(wire, 'RX')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => expectSent(wire, 'xR')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    for (const flags of ['F', 'S', 'R', 'P', '.', 'U', 'E', 'W', 'FSRP.UEW'])
      expect(() => expectSent(wire, flags, 0)).not.toThrow('letters');
    expect(() => expectSent(wire, 1 as unknown as string)).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "flags" argument must be of type string. Received type number (1)',
      }),
    );
    expect(messageOf(() => expectSent(wire, 'R', 1.5))).toContain(
      'The value of "count" is out of range. It must be an integer >= 0 and <= 2147483647. Received 1.5',
    );
    expect(() => expectSent(wire, 'R', 2 ** 31)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => expectSent(wire, 'R', -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
