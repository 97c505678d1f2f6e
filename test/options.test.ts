import { afterEach, describe, expect, it } from 'vitest';
import {
  constants,
  getKeepAlive,
  getLinger,
  getOption,
  getUserTimeout,
  queues,
  setKeepAlive,
  setLinger,
  setOption,
  setUserTimeout,
  takeError,
  abort,
  tcpInfo,
} from '../src/index.js';
import { HOSTS, messageOf, nextError, tcpPair, until, type TcpPair } from './helpers.js';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

// socket2's round-trip table: read the initial value, check that the value we set differs
// from it (so a setter that does nothing fails), set it, read it back from the kernel.
describe.each(HOSTS)('round trip on %s', (host) => {
  it('SO_LINGER', async () => {
    pair = await tcpPair(host);
    expect(getLinger(pair.client)).toBe(null);
    setLinger(pair.client, 7_000);
    expect(getLinger(pair.client)).toBe(7_000);
    // The kernel counts whole seconds: 7.9 s is held as 7 s.
    setLinger(pair.client, 7_900);
    expect(getLinger(pair.client)).toBe(7_000);
    setLinger(pair.client, 0);
    expect(getLinger(pair.client)).toBe(0);
    setLinger(pair.client, null);
    expect(getLinger(pair.client)).toBe(null);
  });

  it('keepalive: SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT', async () => {
    pair = await tcpPair(host);
    const initial = getKeepAlive(pair.client);
    const wanted = { enable: true, idle: 17_000, interval: 3_000, count: 4 };
    expect(initial).not.toEqual(wanted);
    expect(initial.enable).toBe(false);
    setKeepAlive(pair.client, wanted);
    expect(getKeepAlive(pair.client)).toEqual(wanted);
    // The same values through the integer escape hatch, in the kernel's unit (seconds).
    expect(getOption(pair.client, constants.IPPROTO_TCP, constants.TCP_KEEPIDLE)).toBe(17);
    expect(getOption(pair.client, constants.IPPROTO_TCP, constants.TCP_KEEPINTVL)).toBe(3);
    expect(getOption(pair.client, constants.IPPROTO_TCP, constants.TCP_KEEPCNT)).toBe(4);
    expect(getOption(pair.client, constants.SOL_SOCKET, constants.SO_KEEPALIVE)).toBe(1);
  });

  it('TCP_USER_TIMEOUT', async () => {
    pair = await tcpPair(host);
    expect(getUserTimeout(pair.client)).toBe(0);
    setUserTimeout(pair.client, 1234);
    expect(getUserTimeout(pair.client)).toBe(1234);
    setUserTimeout(pair.client, 0);
    expect(getUserTimeout(pair.client)).toBe(0);
  });

  it('integer options: TCP_NODELAY, SO_RCVBUF', async () => {
    pair = await tcpPair(host);
    const nodelay = getOption(pair.client, constants.IPPROTO_TCP, constants.TCP_NODELAY);
    setOption(pair.client, constants.IPPROTO_TCP, constants.TCP_NODELAY, nodelay ? 0 : 1);
    expect(getOption(pair.client, constants.IPPROTO_TCP, constants.TCP_NODELAY)).toBe(nodelay ? 0 : 1);
    // A value whose doubled form differs from the initial one (the default, tcp_rmem[1], is
    // 131072 on many hosts: setting 65536 would read back the default and prove nothing).
    const initial = getOption(pair.client, constants.SOL_SOCKET, constants.SO_RCVBUF);
    const wanted = initial === 2 * 24_576 ? 20_480 : 24_576;
    setOption(pair.client, constants.SOL_SOCKET, constants.SO_RCVBUF, wanted);
    // socket(7): the kernel doubles the value to leave room for bookkeeping.
    expect(getOption(pair.client, constants.SOL_SOCKET, constants.SO_RCVBUF)).toBe(2 * wanted);
    expect(2 * wanted).not.toBe(initial);
  });

  it('options work on the accepted socket and on a listening net.Server', async () => {
    pair = await tcpPair(host);
    setUserTimeout(pair.server, 4321);
    expect(getUserTimeout(pair.server)).toBe(4321);
    expect(getUserTimeout(pair.listener)).toBe(0);
    setUserTimeout(pair.listener, 999);
    expect(getUserTimeout(pair.listener)).toBe(999);
  });
});

describe('keepalive rounding and limits', () => {
  it('rounds milliseconds down to the whole seconds the kernel keeps', async () => {
    pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 2_999, interval: 1_500, count: 2 });
    expect(getKeepAlive(pair.client)).toEqual({ enable: true, idle: 2_000, interval: 1_000, count: 2 });
  });

  it('leaves timers that are not given as they are', async () => {
    pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 5_000, interval: 6_000, count: 7 });
    setKeepAlive(pair.client, { count: 3 });
    expect(getKeepAlive(pair.client)).toEqual({ enable: true, idle: 5_000, interval: 6_000, count: 3 });
    setKeepAlive(pair.client, { enable: false });
    expect(getKeepAlive(pair.client).enable).toBe(false);
    expect(getOption(pair.client, constants.SOL_SOCKET, constants.SO_KEEPALIVE)).toBe(0);
  });

  it.each([
    [{ idle: 999 }],
    [{ idle: 32_768_000 }],
    [{ interval: 0 }],
    [{ count: 0 }],
    [{ count: 128 }],
    [{ idle: Number.NaN }],
    [{ count: 1.5 }],
  ])('refuses %o with ERR_OUT_OF_RANGE before touching the kernel', async (options) => {
    pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 9_000 });
    expect(() => setKeepAlive(pair!.client, options)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(getKeepAlive(pair.client).idle).toBe(9_000);
  });

  it('the kernel would refuse the same values itself (EINVAL through setOption)', async () => {
    pair = await tcpPair();
    expect(() => setOption(pair!.client, constants.IPPROTO_TCP, constants.TCP_KEEPCNT, 128)).toThrow(
      expect.objectContaining({ code: 'EINVAL', errno: -22, syscall: 'setsockopt' }),
    );
    expect(() => setOption(pair!.client, constants.IPPROTO_TCP, constants.TCP_KEEPIDLE, 0)).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });
});

describe('takeError (SO_ERROR)', () => {
  it.each(HOSTS)('returns the pending ECONNRESET once, then null (%s)', async (host) => {
    pair = await tcpPair(host);
    // Stop libuv reading the client so that it does not consume the error first.
    pair.client.pause();
    expect(takeError(pair.client)).toBe(null);
    abort(pair.server);
    // Wait on the kernel's view (the RST moves the socket to CLOSE); reading SO_ERROR would clear it.
    await until(() => tcpInfo(pair!.client).state === 'CLOSE');
    const error = takeError(pair.client);
    expect(error).toMatchObject({ code: 'ECONNRESET', errno: -104, syscall: 'getsockopt', option: 'SO_ERROR' });
    expect(takeError(pair.client)).toBe(null);
  });
});

describe('queues (SIOCINQ / SIOCOUTQ / SIOCOUTQNSD)', () => {
  it.each(HOSTS)('counts bytes the application has not read (%s)', async (host) => {
    pair = await tcpPair(host);
    pair.client.pause();
    expect(queues(pair.client)).toEqual({ unread: 0, queued: 0, unsent: 0 });
    pair.server.write(Buffer.alloc(5000, 1));
    await until(() => queues(pair!.client).unread === 5000);
    expect(queues(pair.client).unread).toBe(5000);
    expect(queues(pair.server)).toEqual({ unread: 0, queued: 0, unsent: 0 });
  });

  it('counts unsent bytes when the peer stops reading and its window fills', async () => {
    pair = await tcpPair();
    pair.client.pause();
    setOption(pair.client, constants.SOL_SOCKET, constants.SO_RCVBUF, 4096);
    const chunk = Buffer.alloc(1 << 20, 2);
    pair.server.write(chunk);
    await until(() => queues(pair!.server).unsent > 0);
    const q = queues(pair.server);
    expect(q.unsent).toBeGreaterThan(0);
    expect(q.queued).toBeGreaterThanOrEqual(q.unsent);
  });
});

describe('kernel failures are Node-shaped errors', () => {
  it('an unknown option level fails with the kernel errno', async () => {
    pair = await tcpPair();
    const error = (() => {
      try {
        getOption(pair!.client, constants.IPPROTO_TCP, 9999);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'ENOPROTOOPT', errno: -92, syscall: 'getsockopt' });
  });

  it('the peer error surfaces through Node as well after takeError was not called', async () => {
    pair = await tcpPair();
    const seen = nextError(pair.client);
    abort(pair.server);
    expect(await seen).toMatchObject({ code: 'ECONNRESET' });
  });
});

describe('edges the kernel decides', () => {
  it('linger: 1000 ms is the first whole second, 999 ms would round to a reset and is refused', async () => {
    pair = await tcpPair();
    setLinger(pair.client, 1_000);
    expect(getLinger(pair.client)).toBe(1_000);
    expect(() => setLinger(pair!.client, 999)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(getLinger(pair.client)).toBe(1_000);
  });

  it('keepalive: a timer left out keeps the value the kernel has', async () => {
    pair = await tcpPair();
    setKeepAlive(pair.client, { idle: 11_000, interval: 4_000, count: 6 });
    setKeepAlive(pair.client, { idle: 20_000 });
    expect(getKeepAlive(pair.client)).toEqual({ enable: true, idle: 20_000, interval: 4_000, count: 6 });
    setKeepAlive(pair.client, { enable: false });
    expect(getKeepAlive(pair.client)).toEqual({ enable: false, idle: 20_000, interval: 4_000, count: 6 });
  });
});

describe('the wording of each refusal: the argument as the caller named it, and its bounds', () => {
  it('abort, setLinger, setKeepAlive, setUserTimeout, getOption, setOption', async () => {
    pair = await tcpPair();
    const c = pair.client;
    expect(messageOf(() => abort(pair!.listener as never))).toBe(
      'The "socket" argument must be a connection, not a net.Server. Received an instance of Server',
    );
    expect(messageOf(() => setLinger(c, 500))).toBe(
      'The value of "ms" is out of range. It must be 0 (reset on close) or at least 1000 (whole seconds). Received 500',
    );
    expect(messageOf(() => setLinger(c, -1))).toBe(
      'The value of "ms" is out of range. It must be an integer >= 0 and <= 2147483647. Received -1',
    );
    expect(messageOf(() => setKeepAlive(c, { idle: 999 }))).toBe(
      'The value of "options.idle" is out of range. It must be an integer >= 1000 and <= 32767000. Received 999',
    );
    expect(messageOf(() => setKeepAlive(c, { interval: 32_767_001 }))).toBe(
      'The value of "options.interval" is out of range. It must be an integer >= 1000 and <= 32767000. Received 32767001',
    );
    expect(messageOf(() => setKeepAlive(c, { count: 128 }))).toBe(
      'The value of "options.count" is out of range. It must be an integer >= 1 and <= 127. Received 128',
    );
    expect(messageOf(() => setKeepAlive(c, { enable: 1 as never }))).toBe(
      'The "options.enable" argument must be of type boolean. Received type number (1)',
    );
    expect(messageOf(() => setKeepAlive(c, 'on' as never))).toBe(
      `The "options" argument must be of type object. Received type string ('on')`,
    );
    expect(messageOf(() => setUserTimeout(c, 2 ** 31))).toBe(
      'The value of "ms" is out of range. It must be an integer >= 0 and <= 2147483647. Received 2147483648',
    );
    expect(messageOf(() => getOption(c, -1, 1))).toBe(
      'The value of "level" is out of range. It must be an integer >= 0 and <= 2147483647. Received -1',
    );
    expect(messageOf(() => getOption(c, 6, -1))).toBe(
      'The value of "name" is out of range. It must be an integer >= 0 and <= 2147483647. Received -1',
    );
    expect(messageOf(() => setOption(c, 6, 1, 2 ** 31))).toBe(
      'The value of "value" is out of range. It must be an integer >= -2147483648 and <= 2147483647. Received 2147483648',
    );
    // The edges themselves are the kernel's to judge.
    setOption(c, constants.SOL_SOCKET, constants.SO_RCVLOWAT, 2 ** 31 - 1);
    expect(getOption(c, constants.SOL_SOCKET, constants.SO_RCVLOWAT)).toBeGreaterThan(0);
    expect(() => setOption(c, constants.SOL_SOCKET, constants.SO_RCVLOWAT, -(2 ** 31))).not.toThrow(/out of range/);
    setKeepAlive(c, { idle: 32_767_000, interval: 1000, count: 127 });
    expect(getKeepAlive(c)).toEqual({ enable: true, idle: 32_767_000, interval: 1000, count: 127 });
  });
});
