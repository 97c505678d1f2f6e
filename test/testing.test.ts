// sockctl/testing and sockctl/vitest at run time (their types: types.test.ts). The errors come
// from the kernel: a connect to a port nothing listens on is refused.
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import 'sockctl/vitest';
import { expectRejectsWithCode, sockctlMatchers } from '../src/testing.js';

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
    const assertion = expect.objectContaining({ code: 'ERR_ASSERTION' });
    await expect(expectRejectsWithCode(Promise.resolve(1), 'EPIPE')).rejects.toThrow(assertion);
    await expect(expectRejectsWithCode(Promise.reject(Object.assign(new Error('x'), { code: 'EPIPE' })), 'ECONNRESET')).rejects.toThrow(assertion);
    await expect(expectRejectsWithCode(Promise.reject({ code: 'EPIPE' }), 'EPIPE')).rejects.toThrow(assertion);
  });
});

describe('sockctl/vitest', () => {
  it('registered the matchers on import: direct, negated and asymmetric', async () => {
    const port = await closedPort();
    const error = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(error).toHaveErrorCode('ECONNREFUSED');
    expect(error).not.toHaveErrorCode('ECONNRESET');
    expect({ error }).toEqual({ error: expect.toHaveErrorCode('ECONNREFUSED') });
    expect(() => expect(error).toHaveErrorCode('EPIPE')).toThrow(expect.objectContaining({ actual: ['ECONNREFUSED'], expected: 'EPIPE' }));
  });

  it('is the same matcher object sockctl/testing exports', () => {
    expect(Object.keys(sockctlMatchers)).toEqual(['toHaveErrorCode']);
  });
});
