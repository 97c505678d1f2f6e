import { execFile } from 'node:child_process';
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import * as sockctl from '../src/index.js';
import { RawSocket, type RawResult, type TraceEntry } from '../src/index.js';
import { native } from '../src/controls/native.js';
import { GARBAGE_ARGS, HOSTS, thrownBy, until, type Host, fdCount, messageOf } from './helpers.js';

const open: RawSocket[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) if (!socket.closed) socket.close();
});

function track(socket: RawSocket): RawSocket {
  open.push(socket);
  return socket;
}

function ok<T extends object>(result: RawResult<T>): T & { ok: true; syscall: string } {
  if (!result.ok) throw new Error(`${result.syscall} failed: ${result.code}`);
  return result;
}

interface RawPair {
  listener: RawSocket;
  client: RawSocket;
  server: RawSocket;
  port: number;
}

async function rawPair(host: Host = '127.0.0.1', trace?: TraceEntry[]): Promise<RawPair> {
  const listener = track(ok(await RawSocket.listen({ host, trace })).socket);
  const port = listener.localAddress!.port;
  const client = track(ok(await RawSocket.connect({ host, port, trace })).socket);
  const server = track(ok(await listener.accept()).socket);
  return { listener, client, server, port };
}

const fail = (code: string, errno: number, syscall: string, extra: object = {}) =>
  expect.objectContaining({ ok: false, code, errno, syscall, ...extra });

const coded = (code: string) => expect.objectContaining({ code });

const distIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe.each(HOSTS)('kernel answers as data (%s)', (host) => {
  it('Go seed: peer reads 1 of 2 bytes and closes → ECONNRESET, then EPIPE, then EOF', async () => {
    const { client, server } = await rawPair(host);
    expect(ok(await client.send('ab')).bytes).toBe(2);
    expect(ok(await server.recv(1)).data.toString()).toBe('a');
    ok(server.close());
    expect(await client.recv(16)).toEqual(fail('ECONNRESET', -104, 'recv'));
    expect(sockctl.tcpInfo(client).state).toBe('CLOSE');
    expect(await client.send('x')).toEqual(fail('EPIPE', -32, 'send'));
    expect(ok(await client.recv(16)).bytes).toBe(0);
  });

  it('connect to a closed port → ECONNREFUSED with syscall connect', async () => {
    const probe = ok(await RawSocket.listen({ host })).socket;
    const port = probe.localAddress!.port;
    probe.close();
    expect(await RawSocket.connect({ host, port })).toEqual(fail('ECONNREFUSED', -111, 'connect'));
  });

  it('peer closed (CLOSE_WAIT): first send succeeds, then recv EOF, then EPIPE', async () => {
    const { client, server } = await rawPair(host);
    ok(server.close());
    expect(await client.readable(2000)).toBe(true);
    expect(sockctl.tcpInfo(client).state).toBe('CLOSE_WAIT');
    expect(ok(await client.send('x')).bytes).toBe(1);
    // The peer answers the data with RST; wait until this side has processed it.
    await until(() => sockctl.tcpInfo(client).state === 'CLOSE', 2000);
    expect(ok(await client.recv(16)).bytes).toBe(0);
    expect(await client.send('y')).toEqual(fail('EPIPE', -32, 'send'));
  });

  it('RST before accept: accept succeeds, the socket is CLOSE, first recv ECONNRESET', async () => {
    const listener = track(ok(await RawSocket.listen({ host })).socket);
    const client = ok(await RawSocket.connect({ host, port: listener.localAddress!.port })).socket;
    ok(client.abort());
    const accepted = track(ok(await listener.accept()).socket);
    expect(sockctl.tcpInfo(accepted).state).toBe('CLOSE');
    expect(accepted.remoteAddress).toBeUndefined();
    expect(await accepted.recv(16)).toEqual(fail('ECONNRESET', -104, 'recv'));
    expect(ok(await accepted.recv(16)).bytes).toBe(0);
  });

  it("send after our own shutdown('write') → EPIPE", async () => {
    const { client, server } = await rawPair(host);
    ok(client.shutdown('write'));
    expect(await client.send('x')).toEqual(fail('EPIPE', -32, 'send'));
    expect(ok(await server.recv(4)).bytes).toBe(0);
  });

  it('wait:false shows EAGAIN / EINPROGRESS; a timeout resolves with the last answer and timedOut', async () => {
    const { client, listener, port } = await rawPair(host);
    expect(await client.recv(8, { wait: false })).toEqual(fail('EAGAIN', -11, 'recv'));
    expect(await listener.accept({ wait: false })).toEqual(fail('EAGAIN', -11, 'accept'));
    const started = performance.now();
    const timedOut = await client.recv(8, { timeout: 50 });
    const elapsed = performance.now() - started;
    expect(timedOut).toEqual(fail('EAGAIN', -11, 'recv', { timedOut: true }));
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(1000);
    expect(await client.readable(20)).toBe(false);
    expect(await client.writable(20)).toBe(true);
    const second = track(RawSocket.create(host === '::1' ? 6 : 4));
    expect(await second.connect(host, port, { wait: false })).toEqual(fail('EINPROGRESS', -115, 'connect'));
    expect(await second.writable(2000)).toBe(true);
    expect(sockctl.takeError(second)).toBeNull();
  });

  it('full accept queue: SYNs go unanswered → EALREADY at the deadline, ETIMEDOUT with a user timeout', async () => {
    const listener = track(ok(await RawSocket.listen({ host, backlog: 0 })).socket);
    const port = listener.localAddress!.port;
    const family = host === '::1' ? 6 : 4;
    let stalled: RawResult | undefined;
    for (let i = 0; i < 5 && stalled === undefined; i++) {
      const result = await track(RawSocket.create(family)).connect(host, port, { timeout: 200 });
      if (!result.ok) stalled = result;
    }
    expect(stalled).toEqual(fail('EALREADY', -114, 'connect', { timedOut: true }));
    expect(sockctl.tcpInfo(open[open.length - 1]).state).toBe('SYN_SENT');
    const bounded = track(RawSocket.create(family));
    sockctl.setUserTimeout(bounded, 500);
    const started = performance.now();
    expect(await bounded.connect(host, port, { timeout: 5000 })).toEqual(fail('ETIMEDOUT', -110, 'connect'));
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it('listen on a port in use → EADDRINUSE from bind, and the socket is closed again', async () => {
    const { port } = await rawPair(host);
    const owned = native.rawIo.ownedCount();
    expect(await RawSocket.listen({ host, port })).toEqual(fail('EADDRINUSE', -98, 'bind'));
    expect(native.rawIo.ownedCount()).toBe(owned);
  });

  it("a peer's reset makes the socket readable and writable at once (the error is pending), without data", async () => {
    const { client, server } = await rawPair(host);
    const readable = client.readable(2000);
    ok(server.abort());
    const started = performance.now();
    expect(await readable).toBe(true);
    expect(await client.writable(2000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await client.recv(4)).toEqual(fail('ECONNRESET', -104, 'recv'));
  });

  it('readable and writable waits on one socket share its poll handle and end independently', async () => {
    const { client, server } = await rawPair(host);
    const readable = client.readable(2000);
    const writable = client.writable(2000);
    const readableToo = client.readable(2000);
    expect(await writable).toBe(true);
    expect(native.poll.pending()).toBe(2);
    await server.send('z');
    expect(await Promise.all([readable, readableToo])).toEqual([true, true]);
    expect(native.poll.pending()).toBe(0);
    expect(ok(await client.recv(4)).data.toString()).toBe('z');
  });

  it('a wait pending when the socket is closed resolves as cancelled', async () => {
    const { client } = await rawPair(host);
    const pending = client.recv(8, { timeout: 10_000 });
    const readable = client.readable(10_000);
    expect(native.poll.pending()).toBe(2);
    ok(client.close());
    expect(await pending).toEqual(fail('EAGAIN', -11, 'recv', { cancelled: true }));
    expect(await readable).toBe(false);
    expect(native.poll.pending()).toBe(0);
  });

  it('addresses and family', async () => {
    const { client, server, port } = await rawPair(host);
    const family = host === '::1' ? 'IPv6' : 'IPv4';
    expect(client.family).toBe(host === '::1' ? 6 : 4);
    expect(client.remoteAddress).toEqual({ address: host, port, family });
    expect(server.localAddress).toEqual({ address: host, port, family });
    expect(server.remoteAddress).toEqual(client.localAddress);
  });

  it('the trace holds each syscall with errno, code and the TCP state after it', async () => {
    const started = performance.now();
    const trace: TraceEntry[] = [];
    const { client, server, listener } = await rawPair(host, trace);
    expect(client.trace).toBe(trace);
    expect(server.trace).toBe(trace);
    await client.send('ab');
    await server.recv(1);
    server.close();
    await client.recv(16);
    await client.send('x');
    const fds = new Set([listener.fd, client.fd]);
    expect(trace.map((e) => e.syscall)).toEqual(
      expect.arrayContaining(['socket', 'bind', 'listen', 'connect', 'getsockopt', 'accept', 'send', 'recv', 'close']),
    );
    expect(trace).toContainEqual(expect.objectContaining({ syscall: 'listen', ok: true, state: 'LISTEN', fd: listener.fd }));
    expect(trace).toContainEqual(
      expect.objectContaining({ syscall: 'connect', ok: false, errno: -115, code: 'EINPROGRESS', fd: client.fd }),
    );
    expect(trace).toContainEqual(
      expect.objectContaining({ syscall: 'send', detail: '2 bytes', ok: true, result: 2, state: 'ESTABLISHED' }),
    );
    expect(trace).toContainEqual(
      expect.objectContaining({ syscall: 'recv', ok: false, errno: -104, code: 'ECONNRESET', state: 'CLOSE' }),
    );
    expect(trace).toContainEqual(expect.objectContaining({ syscall: 'send', errno: -32, code: 'EPIPE' }));
    const close = trace.find((e) => e.syscall === 'close')!;
    expect(close.state).toBeUndefined();
    expect(fds.has(close.fd)).toBe(false);
    for (let i = 1; i < trace.length; i++) expect(trace[i].at).toBeGreaterThanOrEqual(trace[i - 1].at);
    // Times count from the first socket that wrote to this array, for every socket on it.
    expect(trace[0].at).toBeGreaterThanOrEqual(0);
    expect(trace[0].at).toBeLessThan(50);
    expect(trace[trace.length - 1].at).toBeLessThan(performance.now() - started + 1);
  });

  it('the trace, entry by entry: fd, syscall, detail, result or errno and code, state', async () => {
    const trace: TraceEntry[] = [];
    const { client, server, listener, port } = await rawPair(host, trace);
    await client.send('ab');
    await server.recv(1);
    const serverFd = server.fd;
    server.close();
    await client.recv(16);
    await client.send('x');
    client.shutdown('write');
    const clientFd = client.fd;
    client.abort();
    const listenerFd = listener.fd;
    listener.close();
    const af = host === '::1' ? 'AF_INET6' : 'AF_INET';
    const done = (fd: number, syscall: string, detail: string | undefined, result: number, state?: string) => ({
      fd,
      syscall,
      ok: true,
      ...(detail === undefined ? {} : { detail }),
      result,
      ...(state === undefined ? {} : { state }),
      at: expect.any(Number),
    });
    const failed = (fd: number, syscall: string, detail: string, errno: number, code: string, state: unknown) => ({
      fd,
      syscall,
      ok: false,
      detail,
      errno,
      code,
      state,
      at: expect.any(Number),
    });
    // toStrictEqual: an entry without a detail or a state has no such key at all.
    expect(trace).toStrictEqual([
      done(listenerFd, 'socket', af, listenerFd, 'CLOSE'),
      done(listenerFd, 'bind', `${host}:0`, 0, 'CLOSE'),
      done(listenerFd, 'listen', 'backlog=16', 0, 'LISTEN'),
      done(clientFd, 'socket', af, clientFd, 'CLOSE'),
      // On loopback the handshake is done by the time connect(2) returns EINPROGRESS.
      failed(clientFd, 'connect', `${host}:${port}`, -115, 'EINPROGRESS', expect.stringMatching(/^(SYN_SENT|ESTABLISHED)$/)),
      done(clientFd, 'getsockopt', 'SO_ERROR=0', 0, 'ESTABLISHED'),
      done(listenerFd, 'accept', undefined, serverFd, 'LISTEN'),
      done(clientFd, 'send', '2 bytes', 2, 'ESTABLISHED'),
      done(serverFd, 'recv', '1 bytes max', 1, 'ESTABLISHED'),
      done(serverFd, 'close', undefined, 0),
      failed(clientFd, 'recv', '16 bytes max', -104, 'ECONNRESET', 'CLOSE'),
      failed(clientFd, 'send', '1 bytes', -32, 'EPIPE', 'CLOSE'),
      failed(clientFd, 'shutdown', 'how=write', -107, 'ENOTCONN', 'CLOSE'),
      done(clientFd, 'setsockopt', 'SO_LINGER={1,0}', 0, 'CLOSE'),
      done(clientFd, 'close', undefined, 0),
      done(listenerFd, 'close', undefined, 0),
    ]);
  });

  it('results name their syscall; a connect the kernel refuses at once is not waited on', async () => {
    const { client, server, listener, port } = await rawPair(host);
    expect(await client.send('ab')).toEqual({ ok: true, syscall: 'send', bytes: 2 });
    expect(await server.recv(2)).toMatchObject({ ok: true, syscall: 'recv', bytes: 2 });
    const listening = await RawSocket.listen({ host });
    expect(listening).toMatchObject({ ok: true, syscall: 'listen', address: { address: host } });
    if (listening.ok) listening.socket.close();
    // A listening socket: connect(2) answers EISCONN at once, nothing is waited for.
    const started = performance.now();
    expect(await listener.connect(host, port, { timeout: 5000 })).toEqual({
      ok: false,
      syscall: 'connect',
      errno: -106,
      code: 'EISCONN',
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(messageOf(() => listener.connect('nope', 1))).toContain(`The argument 'host' must be an IPv4 or IPv6 address literal`);
  });

  it('a connect given no time: its second connect(2) finds the handshake done and succeeds', async () => {
    const trace: TraceEntry[] = [];
    const listener = track(ok(await RawSocket.listen({ host })).socket);
    const client = track(RawSocket.create(host === '::1' ? 6 : 4, { trace }));
    expect(await client.connect(host, listener.localAddress!.port, { timeout: 0 })).toEqual({ ok: true, syscall: 'connect' });
    // Linux reports the completed non-blocking connect once, as 0 (later calls: EISCONN).
    expect(trace.filter((e) => e.syscall === 'connect').map((e) => [e.ok, e.code ?? e.result])).toEqual([
      [false, 'EINPROGRESS'],
      [true, 0],
    ]);
  });

  it('a refused connect in the trace: EINPROGRESS, then SO_ERROR names the refusal', async () => {
    const trace: TraceEntry[] = [];
    const listener = track(ok(await RawSocket.listen({ host })).socket);
    const port = listener.localAddress!.port;
    listener.close(); // nothing listens on the port any more
    const result = await RawSocket.connect({ host, port, trace });
    // The socket is closed again after a failed connect: no state to read.
    expect(result).toEqual({ ok: false, syscall: 'connect', errno: -111, code: 'ECONNREFUSED' });
    expect(trace.map(({ at: _at, fd: _fd, ...e }) => e)).toStrictEqual([
      {
        syscall: 'socket',
        ok: true,
        detail: host === '::1' ? 'AF_INET6' : 'AF_INET',
        result: expect.any(Number),
        state: 'CLOSE',
      },
      { syscall: 'connect', ok: false, detail: `${host}:${port}`, errno: -115, code: 'EINPROGRESS', state: 'CLOSE' },
      // getsockopt(2) itself succeeds; the value it read is the pending error.
      { syscall: 'getsockopt', ok: true, detail: 'SO_ERROR=ECONNREFUSED', result: 111, state: 'CLOSE' },
      { syscall: 'close', ok: true, result: 0 },
    ]);
  });
});

describe.each(HOSTS)('controls accept a RawSocket (%s)', (host) => {
  it('keepalive and user timeout round trip, read back from the kernel', async () => {
    const { client } = await rawPair(host);
    const initial = sockctl.getKeepAlive(client);
    const wanted = { enable: true, idle: 7000, interval: 3000, count: 4 };
    expect(initial).not.toEqual(wanted);
    sockctl.setKeepAlive(client, wanted);
    expect(sockctl.getKeepAlive(client)).toEqual(wanted);
    expect(sockctl.getUserTimeout(client)).toBe(0);
    sockctl.setUserTimeout(client, 1234);
    expect(sockctl.getUserTimeout(client)).toBe(1234);
    expect(sockctl.getLinger(client)).toBeNull();
    sockctl.setLinger(client, 3_000);
    expect(sockctl.getLinger(client)).toBe(3_000);
    expect(sockctl.getOption(client, sockctl.constants.IPPROTO_TCP, sockctl.constants.TCP_NODELAY)).toBe(0);
  });

  it('tcpInfo, takeError and queues read the RawSocket', async () => {
    const { client, server, listener } = await rawPair(host);
    expect(sockctl.tcpInfo(client).state).toBe('ESTABLISHED');
    expect(sockctl.tcpInfo(listener).state).toBe('LISTEN');
    expect(sockctl.takeError(client)).toBeNull();
    await client.send('hello');
    await until(() => sockctl.queues(server).unread === 5, 2000);
    expect(sockctl.queues(server)).toEqual({ unread: 5, queued: 0, unsent: 0 });
  });

  it('abort(rawSocket) resets: the peer recv fails ECONNRESET and the socket is closed', async () => {
    const { client, server } = await rawPair(host);
    sockctl.abort(client);
    expect(client.closed).toBe(true);
    expect(await server.recv(16)).toEqual(fail('ECONNRESET', -104, 'recv'));
  });

  it('RawSocket.abort() does the same and reports the close', async () => {
    const { client, server } = await rawPair(host);
    expect(client.abort()).toEqual({ ok: true, syscall: 'close' });
    expect(await server.recv(16)).toEqual(fail('ECONNRESET', -104, 'recv'));
  });
});

describe('bad arguments throw coded errors, never crash', () => {
  it('each method refuses wrong types and values', async () => {
    const { client, listener } = await rawPair();
    const cases: Array<[() => unknown, string, string]> = [
      [() => RawSocket.create(5 as never), 'ERR_OUT_OF_RANGE', 'family'],
      [() => RawSocket.create('4' as never), 'ERR_INVALID_ARG_TYPE', 'family'],
      [() => RawSocket.create(4, { trace: 'yes' as never }), 'ERR_INVALID_ARG_TYPE', 'options.trace'],
      [() => RawSocket.create(4, null as never), 'ERR_INVALID_ARG_TYPE', 'options'],
      [() => RawSocket.listen({ host: 'localhost' }), 'ERR_INVALID_ARG_VALUE', 'options.host'],
      [() => RawSocket.listen({ port: 70000 }), 'ERR_OUT_OF_RANGE', 'options.port'],
      [() => RawSocket.listen({ backlog: Number.NaN }), 'ERR_OUT_OF_RANGE', 'options.backlog'],
      [() => RawSocket.listen(null as never), 'ERR_INVALID_ARG_TYPE', 'options'],
      [() => RawSocket.connect(undefined as never), 'ERR_INVALID_ARG_TYPE', 'options.host'],
      [() => RawSocket.connect({ host: 42 as never, port: 1 }), 'ERR_INVALID_ARG_TYPE', 'options.host'],
      [() => RawSocket.connect({ host: '127.0.0.1', port: -1 }), 'ERR_OUT_OF_RANGE', 'options.port'],
      [() => RawSocket.connect({ host: '127.0.0.1', port: 1, timeout: 1.5 }), 'ERR_OUT_OF_RANGE', 'options.timeout'],
      [() => client.bind('nope'), 'ERR_INVALID_ARG_VALUE', 'host'],
      [() => client.bind('127.0.0.1', 2 ** 53), 'ERR_OUT_OF_RANGE', 'port'],
      [() => client.listen(-1), 'ERR_OUT_OF_RANGE', 'backlog'],
      [() => client.connect('127.0.0.1', '80' as never), 'ERR_INVALID_ARG_TYPE', 'port'],
      [() => client.connect('127.0.0.1', 80, { wait: 'no' as never }), 'ERR_INVALID_ARG_TYPE', 'options.wait'],
      [() => client.connect('127.0.0.1', 80, { timeout: -1 }), 'ERR_OUT_OF_RANGE', 'options.timeout'],
      [() => listener.accept(3 as never), 'ERR_INVALID_ARG_TYPE', 'options'],
      [() => client.send(42 as never), 'ERR_INVALID_ARG_TYPE', 'data'],
      [() => client.send([1, 2] as never), 'ERR_INVALID_ARG_TYPE', 'data'],
      [() => client.send('x', { timeout: Infinity }), 'ERR_OUT_OF_RANGE', 'options.timeout'],
      [() => client.recv(0), 'ERR_OUT_OF_RANGE', 'maxBytes'],
      [() => client.recv(2 ** 31), 'ERR_OUT_OF_RANGE', 'maxBytes'],
      [() => client.recv(Number.NaN), 'ERR_OUT_OF_RANGE', 'maxBytes'],
      [() => client.recv('8' as never), 'ERR_INVALID_ARG_TYPE', 'maxBytes'],
      [() => client.shutdown('sideways' as never), 'ERR_INVALID_ARG_VALUE', 'how'],
      [() => client.shutdown(1 as never), 'ERR_INVALID_ARG_TYPE', 'how'],
      [() => client.readable(-5), 'ERR_OUT_OF_RANGE', 'timeoutMs'],
      [() => client.writable(2 ** 40), 'ERR_OUT_OF_RANGE', 'timeoutMs'],
    ];
    for (const [call, code, name] of cases) {
      expect(call, String(call)).toThrow(coded(code));
      // The message names the argument as the caller wrote it (Node's two quotings).
      expect(thrownBy(call, [])).toMatchObject({
        message: expect.stringMatching(new RegExp(`^The (value of "|"|argument ')${name.replace('.', '\\.')}["'] `)),
      });
    }
    expect(thrownBy(() => client.send(42 as never), [])).toMatchObject({
      message: 'The "data" argument must be of type string or an instance of Buffer or Uint8Array. Received type number (42)',
    });
    expect(thrownBy(() => RawSocket.create(4, { trace: 'yes' as never }), [])).toMatchObject({
      message: `The "options.trace" argument must be of type boolean or an Array. Received type string ('yes')`,
    });
    expect(ok(await client.send('still works')).bytes).toBe(11);
  });

  it('cannot be constructed except through RawSocket.create/listen/connect', () => {
    const Constructor = RawSocket as unknown as new (token: symbol, fd: number) => RawSocket;
    expect(() => new Constructor(Symbol('RawSocket'), 0)).toThrow(
      expect.objectContaining({ code: 'ERR_ILLEGAL_CONSTRUCTOR', message: 'Use RawSocket.create()' }),
    );
  });

  it('every operation on a closed RawSocket throws ERR_SOCKET_CLOSED', () => {
    const socket = RawSocket.create();
    socket.close();
    const calls: Array<() => unknown> = [
      () => socket.fd,
      () => socket.bind('127.0.0.1'),
      () => socket.listen(),
      () => socket.connect('127.0.0.1', 1),
      () => socket.accept(),
      () => socket.send('x'),
      () => socket.recv(1),
      () => socket.shutdown('both'),
      () => socket.close(),
      () => socket.abort(),
      () => socket.readable(),
      () => socket.writable(),
      () => sockctl.tcpInfo(socket),
      () => sockctl.setKeepAlive(socket),
      () => sockctl.abort(socket),
    ];
    for (const call of calls) expect(call, String(call)).toThrow(coded('ERR_SOCKET_CLOSED'));
    expect(() => socket.fd).toThrow('Socket is closed');
    expect(socket.closed).toBe(true);
    expect(socket.localAddress).toBeUndefined();
    expect(socket.remoteAddress).toBeUndefined();
  });

  it('a foreign `this` and the private constructor are refused', () => {
    const proto = RawSocket.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of [
      'bind',
      'listen',
      'connect',
      'accept',
      'send',
      'recv',
      'shutdown',
      'close',
      'abort',
      'readable',
      'writable',
    ]) {
      for (const self of [{}, null, undefined, 3, { fd: 0 }]) {
        expect(() => proto[name].call(self, '127.0.0.1', 1), name).toThrow(coded('ERR_INVALID_ARG_TYPE'));
      }
    }
    for (const name of ['fd', 'closed', 'family', 'localAddress', 'remoteAddress', 'trace']) {
      const getter = Object.getOwnPropertyDescriptor(RawSocket.prototype, name)!.get!;
      expect(() => getter.call({}), name).toThrow(coded('ERR_INVALID_ARG_TYPE'));
    }
    expect(messageOf(() => Object.getOwnPropertyDescriptor(RawSocket.prototype, 'closed')!.get!.call(null))).toContain(
      'The "this" argument must be an instance of RawSocket. Received null',
    );
    const Ctor = RawSocket as unknown as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(Symbol('x'), 0, 4, undefined)).toThrow(coded('ERR_ILLEGAL_CONSTRUCTOR'));
  });

  it('the native rawIo and poll functions refuse garbage on their own', () => {
    const raw = native.rawIo as unknown as Record<string, (...args: unknown[]) => unknown>;
    const fns: Array<(...args: unknown[]) => unknown> = [
      ...['socket', 'bind', 'listen', 'connect', 'accept', 'send', 'recv', 'shutdown', 'close', 'getsockname', 'getpeername'].map(
        (name) => raw[name],
      ),
      native.poll.wait as never,
      native.poll.cancel as never,
    ];
    for (const fn of fns) {
      for (const args of GARBAGE_ARGS) {
        const thrown = thrownBy(fn, args);
        expect(thrown, `${fn.name}(${JSON.stringify(args)})`).toBeInstanceOf(Error);
        expect(thrown?.code).toMatch(/^ERR_[A-Z_]+$/);
      }
      expect(() => fn.call({}, 'x')).toThrow(coded('ERR_INVALID_ARG_TYPE'));
    }
  });

  it('native calls on an fd sockctl did not open (stdin, a net.Socket) are refused, the fd untouched', () => {
    const before = fdCount();
    for (const fd of [0, 1, 2]) {
      expect(() => native.rawIo.close(fd)).toThrow(coded('ERR_INVALID_ARG_VALUE'));
      expect(() => native.rawIo.recv(fd, new Uint8Array(1))).toThrow(coded('ERR_INVALID_ARG_VALUE'));
      expect(() => native.rawIo.send(fd, new Uint8Array(1))).toThrow(coded('ERR_INVALID_ARG_VALUE'));
      expect(() => native.poll.wait(fd, 1, 10, () => {})).toThrow(coded('ERR_INVALID_ARG_VALUE'));
    }
    expect(() => native.rawIo.socket(5 as never)).toThrow(coded('ERR_OUT_OF_RANGE'));
    const socket = RawSocket.create();
    expect(() => native.rawIo.bind(socket.fd, 'localhost', 0)).toThrow(coded('ERR_INVALID_ARG_VALUE'));
    expect(() => native.rawIo.shutdown(socket.fd, 3)).toThrow(coded('ERR_OUT_OF_RANGE'));
    expect(() => native.poll.wait(socket.fd, 4, 10, () => {})).toThrow(coded('ERR_OUT_OF_RANGE'));
    expect(() => native.poll.wait(socket.fd, 1, 10, 'cb' as never)).toThrow(coded('ERR_INVALID_ARG_TYPE'));
    socket.close();
    expect(fdCount()).toBe(before);
  });
});

describe('no fd leaks', () => {
  it('a RawSocket dropped without close() is closed when collected; one closed first is not closed again', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const owned = native.rawIo.ownedCount();
    const fdOfDropped = (() => RawSocket.create(4).fd)();
    expect(native.rawIo.ownedCount()).toBe(owned + 1);
    expect(fs.readlinkSync(`/proc/self/fd/${fdOfDropped}`)).toMatch(/^socket:/);
    for (let i = 0; i < 100 && native.rawIo.ownedCount() > owned; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(native.rawIo.ownedCount()).toBe(owned);
    // Closed explicitly, then its fd number handed to another socket: collecting the first
    // must not close the second.
    let first: RawSocket | undefined = RawSocket.create(4);
    const reused = first.fd;
    first.close();
    first = undefined;
    const second = track(RawSocket.create(4));
    expect(second.fd).toBe(reused);
    for (let i = 0; i < 20; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(second.closed).toBe(false);
    expect(second.bind('127.0.0.1')).toMatchObject({ ok: true });
    expect(native.rawIo.ownedCount()).toBe(owned + 1);
  });

  it('10,000 RawSockets opened and closed leave the fd count unchanged', async () => {
    const before = fdCount();
    const ownedBefore = native.rawIo.ownedCount();
    const listener = ok(await RawSocket.listen({ backlog: 512 })).socket;
    const port = listener.localAddress!.port;
    let opened = 1;
    const batch = 100;
    for (let round = 0; round < 50; round++) {
      const clients = await Promise.all(Array.from({ length: batch }, () => RawSocket.connect({ host: '127.0.0.1', port })));
      const accepted: RawSocket[] = [];
      for (let i = 0; i < batch; i++) accepted.push(ok(await listener.accept({ timeout: 2000 })).socket);
      opened += 2 * batch;
      // abort(): RST instead of FIN, so no TIME_WAIT piles up and ports are not exhausted.
      for (const result of clients) ok(ok(result).socket.abort());
      for (const socket of accepted) ok(socket.close());
    }
    const loose = Array.from({ length: 10_000 - opened + 1 }, () => RawSocket.create(6));
    opened += loose.length;
    for (const socket of loose) ok(socket.close());
    ok(listener.close());
    expect(opened).toBe(10_001);
    expect(fdCount()).toBe(before);
    expect(native.rawIo.ownedCount()).toBe(ownedBefore);
    expect(native.poll.pending()).toBe(0);
  }, 60_000);

  it('a RawSocket dropped without close() has its fd closed by garbage collection', async () => {
    const script = `
      const { RawSocket } = require(${JSON.stringify(distIndex)});
      const fs = require('node:fs');
      const exists = (fd) => { try { fs.readlinkSync('/proc/self/fd/' + fd); return true; } catch { return false; } };
      let socket = RawSocket.create(4);
      const fd = socket.fd;
      const before = exists(fd);
      socket = undefined;
      (async () => {
        for (let i = 0; i < 50 && exists(fd); i++) {
          globalThis.gc();
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        console.log(JSON.stringify({ before, after: exists(fd) }));
      })();
    `;
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--expose-gc', '-e', script], { timeout: 10_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
    expect(JSON.parse(output)).toEqual({ before: true, after: false });
  });
});

describe('environment teardown', () => {
  it('process.exit() while waits are pending and sockets open ends cleanly', async () => {
    const script = `
      const { RawSocket } = require(${JSON.stringify(distIndex)});
      (async () => {
        const listener = (await RawSocket.listen()).socket;
        const client = (await RawSocket.connect({ host: '127.0.0.1', port: listener.localAddress.port })).socket;
        const server = (await listener.accept()).socket;
        server.recv(4, { timeout: 60000 });
        client.readable(60000);
        listener.accept({ timeout: 60000 });
        setTimeout(() => process.exit(7), 20);
      })();
    `;
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['-e', script], { timeout: 10_000 }, (error, _stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect({ code, stderr }).toEqual({ code: 7, stderr: '' });
  });
});

describe('worker_threads', () => {
  it('4 workers use RawSocket at once; one terminated while waiting; the main thread goes on', async () => {
    const before = fdCount();
    const script = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { RawSocket } = require(${JSON.stringify(distIndex)});
      const ok = (r) => { if (!r.ok) throw new Error(r.syscall + ' ' + r.code); return r; };
      (async () => {
        const listener = ok(await RawSocket.listen({ host: workerData.host })).socket;
        const port = listener.localAddress.port;
        const client = ok(await RawSocket.connect({ host: workerData.host, port })).socket;
        const server = ok(await listener.accept()).socket;
        for (let i = 0; i < 20; i++) {
          ok(await client.send('ping'));
          ok(await server.recv(4));
        }
        if (workerData.hang) {
          parentPort.postMessage('waiting');
          await server.recv(4, { timeout: 60000 });
          parentPort.postMessage('woke');
          return;
        }
        client.close(); server.close(); listener.close();
        parentPort.postMessage('done');
      })().catch((error) => parentPort.postMessage('error ' + error.message));
    `;
    const workers = [0, 1, 2, 3].map(
      (i) => new Worker(script, { eval: true, workerData: { host: HOSTS[i % 2], hang: i === 3 } }),
    );
    const exits = workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    const messages = workers.map(
      (worker) =>
        new Promise<string>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    );
    expect(await Promise.all(messages)).toEqual(['done', 'done', 'done', 'waiting']);
    const exitCode = await workers[3].terminate();
    expect(exitCode).toBe(1);
    expect(await Promise.all(exits)).toEqual([0, 0, 0, 1]);
    // The terminated worker's three sockets were closed with its environment.
    await until(() => fdCount() <= before, 3000);
    const { client, server } = await rawPair();
    expect(ok(await client.send('after')).bytes).toBe(5);
    expect(ok(await server.recv(5)).data.toString()).toBe('after');
  });
});
