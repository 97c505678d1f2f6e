// unwrap(): a RawSocket result the program expects to succeed, or a Node-shaped error carrying
// the kernel's errno. The failures here are the kernel's: a port nothing listens on, a port in use.
import { describe, expect, it } from 'vitest';
import { RawSocket, unwrap } from '../src/index.js';
import { caught, HOSTS } from './helpers.js';

describe.each(HOSTS)('unwrap on %s', (host) => {
  it('passes a success through and listen() reports the address the kernel bound', async () => {
    const listening = await RawSocket.listen({ host });
    const { socket: listener, address } = unwrap(listening);
    try {
      expect(unwrap(listening)).toBe(listening);
      expect(address).toEqual(listener.localAddress);
      expect(address.port).toBeGreaterThan(0);
      expect(address.family).toBe(host === '::1' ? 'IPv6' : 'IPv4');
      const { socket: client } = unwrap(await RawSocket.connect({ host, port: address.port }));
      client.close();
    } finally {
      listener.close();
    }
  });

  it('throws a failure as a SystemError with the kernel errno: ECONNREFUSED, EADDRINUSE', async () => {
    const { socket: holder, address } = unwrap(await RawSocket.listen({ host }));
    try {
      const taken = await RawSocket.listen({ host, port: address.port });
      expect(() => unwrap(taken)).toThrow(
        expect.objectContaining({ name: 'Error', code: 'EADDRINUSE', errno: -98, syscall: 'bind' }),
      );
    } finally {
      holder.close();
    }
    const refused = await RawSocket.connect({ host, port: address.port });
    expect(() => unwrap(refused)).toThrow(expect.objectContaining({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect' }));
  });
});

describe('unwrap', () => {
  it('keeps timedOut and cancelled, and refuses what is not a result', () => {
    const timedOut = { ok: false as const, errno: -11, code: 'EAGAIN', syscall: 'recv', timedOut: true };
    expect(() => unwrap(timedOut)).toThrow(
      expect.objectContaining({ code: 'EAGAIN', errno: -11, syscall: 'recv', timedOut: true }),
    );
    const cancelled = { ok: false as const, errno: -11, code: 'EAGAIN', syscall: 'accept', cancelled: true };
    expect(() => unwrap(cancelled)).toThrow(expect.objectContaining({ cancelled: true }));
    // Neither flag when the result has neither.
    const plain = caught(() => unwrap({ ok: false, errno: -104, code: 'ECONNRESET', syscall: 'recv' }));
    expect(plain).toMatchObject({ message: 'recv ECONNRESET', code: 'ECONNRESET', errno: -104, syscall: 'recv' });
    expect('timedOut' in plain || 'cancelled' in plain).toBe(false);
    for (const bad of [
      undefined,
      null,
      1,
      {},
      { ok: 'yes' },
      { ok: 'yes', errno: -5, syscall: 'recv' },
      { ok: false, errno: 5, syscall: 'recv' },
      { ok: false, errno: 0, syscall: 'recv' },
      { ok: false, errno: '-5', syscall: 'recv' },
      { ok: false, errno: -5 },
    ]) {
      expect(() => unwrap(bad as never), JSON.stringify(bad)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_TYPE',
          message: expect.stringMatching(/^The "result" argument must be a RawSocket result\. Received /),
        }),
      );
    }
  });
});
