import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canBlackhole,
  faultClient,
  faultServer,
  RawSocket,
  setKeepAlive,
  setUserTimeout,
  type FaultServer,
} from '../src/index.js';
import { expectErrorCode } from '../src/testing.js';
import { HOSTS, nextError, fdCount } from './helpers.js';
import { connect, outcome } from './faults-helpers.js';

const probe = canBlackhole();
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
// Measured with this test on Node 20.20, 22.23 (end) and 24.21, 26.10 (ECONNRESET): newer libuv reads the error.
const BYTES_THEN_RST_SEEN_AS = NODE_MAJOR >= 24 ? 'ECONNRESET' : 'end';
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;

const open: Array<FaultServer | net.Socket | RawSocket> = [];
afterEach(async () => {
  for (const item of open.splice(0)) {
    if (item instanceof net.Socket) item.destroy();
    else if (item instanceof RawSocket) {
      if (!item.closed) item.abort();
    } else await item.close();
  }
});

async function server(options: Parameters<typeof faultServer>[0]): Promise<FaultServer> {
  const s = await faultServer(options);
  open.push(s);
  return s;
}

async function client(s: FaultServer): Promise<net.Socket> {
  const socket = await connect(s.port, s.address);
  open.push(socket);
  return socket;
}

describe.each(HOSTS)('faultServer on %s', (host) => {
  it('listens on the host, port 0 by default, with url/address/port getters', async () => {
    const s = await server({ host, onConnection: ['reset'] });
    expect(s.address).toBe(host);
    expect(s.port).toBeGreaterThan(0);
    expect(s.url).toBe(host === '::1' ? `http://[::1]:${s.port}/` : `http://127.0.0.1:${s.port}/`);
  });

  it("'reset': accept and RST at once → the client's read fails ECONNRESET", async () => {
    const s = await server({ host, onConnection: ['reset'] });
    const c = await client(s);
    const localPort = c.localPort;
    expect((await outcome(c)).end).toBe('ECONNRESET');
    const [record] = await s.settled(1);
    expect(record).toMatchObject({ index: 0, end: 'reset', remoteAddress: host, remotePort: localPort, bytesReceived: 0 });
    expect(record.steps.map((step) => step.result)).toEqual(['ok']);
  });

  it("'read:4', 'reset': reads exactly 4 of 10 bytes, then RST", async () => {
    const s = await server({ host, onConnection: ['read:4', 'reset'] });
    const c = await client(s);
    const seen = outcome(c);
    c.write('0123456789');
    expect((await seen).end).toBe('ECONNRESET');
    const [record] = await s.settled(1);
    expect(record.bytesReceived).toBe(4);
    expect(record.received.toString()).toBe('0123');
    expect(record.steps[0]).toMatchObject({ step: { do: 'read', bytes: 4 }, result: 'ok', bytes: 4 });
  });

  it("'read:1', 'close' with a byte unread: the kernel's own RST (recv ECONNRESET, send EPIPE)", async () => {
    const s = await server({ host, onConnection: ['read:1', 'close'] });
    const connected = await RawSocket.connect({ host, port: s.port });
    if (!connected.ok) throw new Error(connected.code);
    const c = connected.socket;
    open.push(c);
    await c.send('ab');
    await s.settled(1);
    expect(await c.recv(1)).toMatchObject({ ok: false, code: 'ECONNRESET', syscall: 'recv' });
    expect(await c.send('x')).toMatchObject({ ok: false, code: 'EPIPE', syscall: 'send' });
    expect(s.connections[0]).toMatchObject({ end: 'close', bytesReceived: 1 });
  });

  it("'close-unread' waits for the request and leaves it unread: RST", async () => {
    const s = await server({ host, onConnection: ['close-unread'] });
    const c = await client(s);
    const seen = outcome(c);
    c.write('GET / HTTP/1.1\r\n\r\n');
    expect((await seen).end).toBe('ECONNRESET');
    expect((await s.settled(1))[0]).toMatchObject({ end: 'close', bytesReceived: 0 });
  });

  it('reply bytes then RST: the kernel gives the client the bytes, then ECONNRESET', async () => {
    const s = await server({ host, onConnection: [{ do: 'send', data: 'hello' }, 'reset'] });
    const connected = await RawSocket.connect({ host, port: s.port });
    if (!connected.ok) throw new Error(connected.code);
    open.push(connected.socket);
    await s.settled(1);
    const first = await connected.socket.recv(100);
    expect(first.ok && first.data.toString()).toBe('hello');
    expect(await connected.socket.recv(100)).toMatchObject({ ok: false, code: 'ECONNRESET' });
    expect(s.connections[0]).toMatchObject({ bytesSent: 5, end: 'reset' });
  });

  it('reply bytes, a pause, then RST: a net.Socket reads them, then ECONNRESET', async () => {
    // The pause lets Node read the bytes before the RST lands (see the next test for why).
    const s = await server({ host, onConnection: [{ do: 'send', data: 'hello' }, 'wait:50', 'reset'] });
    const c = await client(s);
    expect(await outcome(c)).toEqual({ data: Buffer.from('hello'), end: 'ECONNRESET' });
  });

  it("bytes and RST in one read: what this Node's net.Socket reports", async () => {
    // libuv takes a hang-up seen right after a short read as end of stream, so a net.Socket
    // that had not read the bytes yet when the RST came reports 'end', never ECONNRESET.
    const s = await server({ host, onConnection: [{ do: 'send', data: 'hello' }, 'reset'] });
    const c = await client(s);
    const seen = await outcome(c);
    console.log(`[${host}] Node ${process.versions.node}: bytes + RST in one read → data ${seen.data.length}, ${seen.end}`);
    expect(seen).toEqual({ data: Buffer.from('hello'), end: BYTES_THEN_RST_SEEN_AS });
  });

  it('reply bytes then FIN: the client reads them, then end of stream; its FIN ends the record', async () => {
    const s = await server({ host, onConnection: [{ do: 'send', data: 'bye' }, 'fin'] });
    const c = await client(s);
    const seen = await outcome(c);
    expect(seen).toEqual({ data: Buffer.from('bye'), end: 'end' });
    c.end();
    expect((await s.settled(1))[0]).toMatchObject({ end: 'peer-eof' });
  });

  it('per-connection lists: the first connection is answered, the second reset', async () => {
    const s = await server({ host, connections: [['respond:200']], onConnection: ['reset'] });
    const first = await client(s);
    const answered = outcome(first);
    first.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await s.settled(1, { finished: false });
    const second = await client(s);
    expect((await outcome(second)).end).toBe('ECONNRESET');
    first.end();
    const { data } = await answered;
    expect(data.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const records = await s.settled(2);
    expect(records.map((r) => r.end)).toEqual(['peer-eof', 'reset']);
    expect(records[0].requests).toEqual(['GET / HTTP/1.1']);
  });

  it('accept: false never accepts: the accept queue is full and connect hangs', async () => {
    const s = await server({ host, accept: false });
    const attempt = await RawSocket.connect({ host, port: s.port, timeout: 300 });
    if (attempt.ok) open.push(attempt.socket);
    expect(attempt).toMatchObject({ ok: false, syscall: 'connect', timedOut: true });
    expect(s.connections).toHaveLength(0);
  });

  it('close() gives back every fd: nothing left listening or connected', async () => {
    // Warm up: the first connection of a process opens libuv's own fds (epoll, eventfd).
    const warm = await faultServer({ host, onConnection: ['respond:200'] });
    (await connect(warm.port, host)).destroy();
    await warm.close();
    const before = fdCount();
    const s = await faultServer({ host, onConnection: ['read:1', 'wait:10000'] });
    const sockets = await Promise.all([connect(s.port, host), connect(s.port, host)]);
    const errors = sockets.map((socket) => outcome(socket));
    sockets.forEach((socket) => socket.write('x'));
    await s.settled(2, { finished: false });
    const started = performance.now();
    await s.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await Promise.all(errors)).map((e) => e.end)).toEqual(['ECONNRESET', 'ECONNRESET']);
    expect(s.connections.map((r) => r.end)).toEqual(['fixture-closed', 'fixture-closed']);
    sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fdCount()).toBe(before);
    const refused = await RawSocket.connect({ host, port: s.port, timeout: 1_000 });
    expect(refused).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
  });

  it('a never-accepting server and a faultClient give back their fds too', async () => {
    const warm = await faultServer({ host, accept: false });
    await warm.close();
    const before = fdCount();
    const full = await faultServer({ host, accept: false });
    const target = await faultServer({ host, onConnection: ['read:1'] });
    const c = await faultClient(target, [{ do: 'send', data: 'x' }, 'wait:10000']);
    await target.settled(1, { finished: false });
    await c.close();
    await Promise.all([full.close(), target.close()]);
    expect(await c.done).toMatchObject({ end: 'fixture-closed', bytesSent: 1 });
    expect(fdCount()).toBe(before);
  });
});

describe.skipIf(!probe.ok).each(HOSTS)(`faultServer 'silent' on %s${skipReason}`, (host) => {
  it('a client with a 500 ms user timeout gets ETIMEDOUT well under 3 s', async () => {
    const s = await server({ host, onConnection: ['silent'] });
    const c = await client(s);
    await s.settled(1, { finished: false });
    setUserTimeout(c, 500);
    const error = nextError(c, 5_000);
    const start = performance.now();
    c.write('hello');
    expectErrorCode(await error, 'ETIMEDOUT');
    const ms = performance.now() - start;
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(3_000);
  });

  it('a client with keepalive 1 s / 1 s / 2 gets ETIMEDOUT at about 3 s', async () => {
    if (host === '::1') return; // one family is enough for a 3 s timer; the user timeout runs on both
    const s = await server({ host, onConnection: ['silent'] });
    const c = await client(s);
    await s.settled(1, { finished: false });
    const error = nextError(c, 8_000);
    const start = performance.now();
    setKeepAlive(c, { idle: 1_000, interval: 1_000, count: 2 });
    expectErrorCode(await error, 'ETIMEDOUT');
    const ms = performance.now() - start;
    expect(ms).toBeGreaterThanOrEqual(2_500);
    expect(ms).toBeLessThan(6_000);
  });
});

describe('faultServer without the privilege for silent', () => {
  it.runIf(!probe.ok)('rejects up front with the probe code and reason', async () => {
    await expect(faultServer({ onConnection: ['silent'] })).rejects.toMatchObject({
      code: probe.code,
      option: 'SO_ATTACH_FILTER',
    });
  });
});

describe('faultServer arguments', () => {
  it('refuses unknown steps and HTTP steps on a client with Node-style codes', async () => {
    await expect(faultServer({ onConnection: ['explode' as 'reset'] })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(faultServer({ onConnection: [{ do: 'read', bytes: 0 }] })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(faultServer({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(faultServer({ onConnection: ['reset'], host: 'localhost' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
  });

  it('closes through Symbol.asyncDispose', async () => {
    const s = await faultServer({ onConnection: ['reset'] });
    await (s as unknown as { [Symbol.asyncDispose](): Promise<void> })[Symbol.asyncDispose]();
    expect(await RawSocket.connect({ host: '127.0.0.1', port: s.port, timeout: 1_000 })).toMatchObject({
      ok: false,
      code: 'ECONNREFUSED',
    });
  });
});
