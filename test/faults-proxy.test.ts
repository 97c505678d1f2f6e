import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { canBlackhole, faultProxy, RawSocket, setUserTimeout, type FaultProxy } from '../src/index.js';
import { HOSTS, until, fdCount } from './helpers.js';
import { connect, outcome } from './faults-helpers.js';

const open: Array<FaultProxy | net.Server | net.Socket> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) {
    if (item instanceof net.Socket) item.destroy();
    else if (item instanceof net.Server) await new Promise((resolve) => item.close(resolve));
    else await item.close();
  }
});

/** An upstream that sends `size` bytes on connect and records what it receives and how it ends. */
async function upstream(host: string, size = 100_000) {
  const seen: Array<Promise<{ data: Buffer; end: string }>> = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    seen.push(outcome(socket));
    socket.on('error', () => {});
    socket.on('end', () => socket.end());
    socket.write(Buffer.alloc(size, 'u'));
  });
  open.push(server);
  server.listen(0, host);
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, seen };
}

async function proxyTo(host: string, port: number, rules: Parameters<typeof faultProxy>[1]) {
  const proxy = await faultProxy({ host, port }, { host, ...rules });
  open.push(proxy);
  return proxy;
}

async function client(proxy: FaultProxy): Promise<net.Socket> {
  const socket = await connect(proxy.port, proxy.address);
  open.push(socket);
  return socket;
}

describe.each(HOSTS)('faultProxy on %s', (host) => {
  it('response: pass 1234 then RST — the client receives exactly 1234 bytes, then ECONNRESET', async () => {
    const up = await upstream(host);
    const proxy = await proxyTo(host, up.port, { response: { pass: 1234, then: 'reset' } });
    // A RawSocket client reads what its kernel holds, at its own pace: the exact bytes, then the
    // reset. (A Node 20/22 net.Socket that reads the bytes and the RST in one go reports 'end';
    // see faults-server.test.ts.)
    const connected = await RawSocket.connect({ host, port: proxy.port });
    if (!connected.ok) throw new Error(connected.code);
    const c = connected.socket;
    await until(() => proxy.connections[0]?.closedAt !== undefined);
    const first = await c.recv(100_000);
    expect(first).toMatchObject({ ok: true, bytes: 1234 });
    expect(await c.recv(100_000)).toMatchObject({ ok: false, code: 'ECONNRESET' });
    c.close();
    expect(proxy.connections[0]).toMatchObject({ number: 1, responseBytes: 1234, actions: ['response-reset'] });
    expect((await up.seen[0]).end).toBe('ECONNRESET');
  });

  it('response: pass 0 then FIN — the client reads end of stream at once, whether or not the upstream sends', async () => {
    for (const size of [100_000, 0]) {
      const up = await upstream(host, size);
      const proxy = await proxyTo(host, up.port, { response: { pass: 0, then: 'fin' } });
      expect(await outcome(await client(proxy), 3_000), String(size)).toEqual({ data: Buffer.alloc(0), end: 'end' });
    }
  });

  it('request: pass 5 then FIN — the upstream receives exactly 5 bytes, then end of stream', async () => {
    const up = await upstream(host, 0);
    const proxy = await proxyTo(host, up.port, { request: { pass: 5, then: 'fin' } });
    const c = await client(proxy);
    c.write('0123456789');
    await until(() => up.seen.length === 1);
    expect(await up.seen[0]).toEqual({ data: Buffer.from('01234'), end: 'end' });
    expect(proxy.connections[0]).toMatchObject({ requestBytes: 5, droppedBytes: 5, actions: ['request-fin'] });
  });

  it("half close passes through: the upstream's FIN reaches the client, whose bytes after it still reach the upstream", async () => {
    // The upstream ends its side at once and keeps reading; the client keeps its side open.
    const got: Buffer[] = [];
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      open.push(socket);
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => got.push(chunk));
      socket.end();
    });
    open.push(server);
    const ended = new Promise<void>((resolve) => server.once('connection', (socket: net.Socket) => socket.on('end', resolve)));
    server.listen(0, host);
    await once(server, 'listening');
    const proxy = await proxyTo(host, (server.address() as net.AddressInfo).port, {});
    const c = net.connect({ host, port: proxy.port, allowHalfOpen: true });
    open.push(c);
    c.on('error', () => {});
    await once(c, 'connect');
    const clientPort = c.localPort;
    await once(c, 'end');
    c.end('after your FIN');
    await ended;
    expect(Buffer.concat(got).toString()).toBe('after your FIN');
    expect(proxy.connections[0]).toMatchObject({ remoteAddress: host, remotePort: clientPort, requestBytes: 14 });
  });

  it("half close the other way: the client's FIN reaches the upstream, whose answer after it still reaches the client", async () => {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      open.push(socket);
      socket.on('error', () => {});
      socket.resume();
      socket.on('end', () => socket.end('answer after your FIN'));
    });
    open.push(server);
    server.listen(0, host);
    await once(server, 'listening');
    const proxy = await proxyTo(host, (server.address() as net.AddressInfo).port, {});
    const c = await client(proxy);
    const seen = outcome(c);
    c.end('request');
    expect(await seen).toEqual({ data: Buffer.from('answer after your FIN'), end: 'end' });
    expect(proxy.connections[0]).toMatchObject({ requestBytes: 7, responseBytes: 21 });
  });

  it('request: pass 5 then FIN — what the client sends after the cut is read, dropped and counted', async () => {
    // An upstream that stays half open: the response direction goes on, so does the connection.
    const quiet = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {});
      open.push(socket); // destroyed after the test: half open, it would keep the server from closing
    });
    open.push(quiet);
    quiet.listen(0, host);
    await once(quiet, 'listening');
    const proxy = await proxyTo(host, (quiet.address() as net.AddressInfo).port, { request: { pass: 5, then: 'fin' } });
    const c = await client(proxy);
    c.write('0123456789');
    await until(() => proxy.connections[0]?.droppedBytes === 5);
    c.write('abc');
    await until(() => proxy.connections[0].droppedBytes === 8);
    expect(proxy.connections[0]).toMatchObject({ requestBytes: 5, actions: ['request-fin'] });
  });

  it.skipIf(!canBlackhole().ok)(
    'request: pass 3 then silent — the upstream gets 3 bytes and nothing more; the client times out for real',
    async () => {
      const up = await upstream(host, 0);
      const proxy = await proxyTo(host, up.port, { request: { pass: 3, then: 'silent' } });
      const c = await client(proxy);
      const error = new Promise<NodeJS.ErrnoException>((resolve) => c.once('error', resolve));
      setUserTimeout(c, 500);
      c.write('abc');
      await until(() => proxy.connections[0]?.requestBytes === 3);
      const start = performance.now();
      c.write('defgh'); // never acknowledged: the proxy's kernel drops it
      expect(await error).toMatchObject({ code: 'ETIMEDOUT' });
      const ms = performance.now() - start;
      expect(ms).toBeGreaterThan(400);
      expect(ms).toBeLessThan(3_000);
      expect(proxy.connections[0]).toMatchObject({ requestBytes: 3, actions: ['request-silent'], errors: [] });
      const settled = await Promise.race([up.seen[0], new Promise((resolve) => setTimeout(() => resolve('still open'), 50))]);
      expect(settled).toBe('still open');
    },
  );

  it.skipIf(canBlackhole().ok)('silent without CAP_NET_ADMIN is refused up front with the probe code', async () => {
    await expect(faultProxy({ port: 1 }, { response: { pass: 0, then: 'silent' } })).rejects.toMatchObject({
      code: canBlackhole().code,
      option: 'SO_ATTACH_FILTER',
    });
  });

  it('idleReset: a connection idle for 150 ms is reset on both sides', async () => {
    const up = await upstream(host, 10);
    const proxy = await proxyTo(host, up.port, { idleReset: 150 });
    const c = await client(proxy);
    const start = performance.now();
    const seen = await outcome(c);
    const ms = performance.now() - start;
    expect(seen).toEqual({ data: Buffer.alloc(10, 'u'), end: 'ECONNRESET' });
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(1_000);
    expect(proxy.connections[0].actions).toEqual(['idle-reset']);
  });

  it('resetConnections [2]: the 2nd connection is reset on accept, the 1st and 3rd pass', async () => {
    const up = await upstream(host, 10);
    const proxy = await proxyTo(host, up.port, { resetConnections: [2] });
    const ends: string[] = [];
    for (let i = 0; i < 3; i++) {
      // No wait for 'connect': the RST may land before libuv reads the connect's result, and
      // then Node reports it as 'connect ECONNRESET'.
      const c = net.connect({ host, port: proxy.port });
      open.push(c);
      const seen = outcome(c);
      if (i !== 1) {
        await until(() => proxy.connections[i]?.responseBytes === 10);
        c.end();
      }
      ends.push((await seen).end);
    }
    expect(ends).toEqual(['end', 'ECONNRESET', 'end']);
    expect(proxy.connections.map((r) => r.actions)).toEqual([[], ['reset-on-accept'], []]);
    // A refused connection's record: opened and closed at once, nothing moved, who it was.
    const refused = proxy.connections[1];
    expect(refused).toStrictEqual({
      number: 2,
      openedAt: refused.openedAt,
      closedAt: refused.openedAt,
      requestBytes: 0,
      responseBytes: 0,
      droppedBytes: 0,
      actions: ['reset-on-accept'],
      errors: [],
      toxics: [],
      maxBufferedBytes: { upstream: 0, downstream: 0 },
      remoteAddress: host,
      remotePort: expect.any(Number),
    });
    expect(refused.remotePort).toBeGreaterThan(0);
    expect(up.seen).toHaveLength(2);
  });

  it('close() resets what is open and gives back every fd', async () => {
    const up = await upstream(host, 0);
    const warm = await faultProxy({ host, port: up.port }, { host });
    (await connect(warm.port, host)).destroy();
    await warm.close();
    const before = fdCount();
    const proxy = await faultProxy({ host, port: up.port }, { host });
    const c = await connect(proxy.port, host);
    const seen = outcome(c);
    await until(() => up.seen.length === 1);
    await proxy.close();
    expect((await seen).end).toBe('ECONNRESET');
    c.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fdCount()).toBe(before);
  });

  it("a toxic's events and the record are timed on the proxy's clock: at since it started, delays as measured", async () => {
    const up = await upstream(host, 10);
    const started = performance.now();
    const proxy = await proxyTo(host, up.port, { toxics: [{ type: 'latency', latency: 120, name: 'lag' }] });
    const c = await client(proxy);
    const seen = outcome(c);
    await until(() => proxy.connections[0]?.responseBytes === 10);
    c.end();
    await seen;
    await until(() => proxy.connections[0].closedAt !== undefined);
    const elapsed = performance.now() - started;
    const record = proxy.connections[0];
    expect(record.openedAt).toBeGreaterThanOrEqual(0);
    expect(record.closedAt!).toBeGreaterThanOrEqual(record.openedAt + 100);
    expect(record.closedAt!).toBeLessThanOrEqual(elapsed + 1);
    const delay = record.toxics.find((e) => e.toxic === 'lag' && e.action === 'delay');
    expect(delay?.plannedMs).toBe(120);
    expect(delay?.delayMs).toBeGreaterThanOrEqual(115);
    expect(delay?.delayMs).toBeLessThan(120 + 500);
    expect(delay?.at).toBeGreaterThanOrEqual(record.openedAt + 115);
    expect(delay?.at).toBeLessThanOrEqual(record.closedAt!);
  });

  it('slowClose with a delay of 0 holds no FIN and records nothing', async () => {
    const up = await upstream(host, 10);
    const proxy = await proxyTo(host, up.port, { toxics: [{ type: 'slowClose', delay: 0, name: 'none' }] });
    const c = await client(proxy);
    const seen = outcome(c);
    await until(() => proxy.connections[0]?.responseBytes === 10);
    c.end();
    expect((await seen).end).toBe('end');
    await until(() => proxy.connections[0].closedAt !== undefined);
    expect(proxy.connections[0].toxics).toEqual([]);
  });
});

describe('faultProxy arguments', () => {
  it('refuses a bad rule with Node-style codes', async () => {
    await expect(faultProxy({ port: 1 }, { response: { pass: -1, then: 'reset' } })).rejects.toMatchObject({
      code: 'ERR_OUT_OF_RANGE',
    });
    await expect(faultProxy({ port: 1 }, { request: { pass: 1, then: 'explode' as 'fin' } })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
    });
    await expect(faultProxy({ port: 0 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
});
