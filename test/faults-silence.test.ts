// Silence and loss, the fixtures' kernel faults: a socket filter on the fixture's side makes the
// peer's own kernel meet retransmission timeouts (ETIMEDOUT through its user timeout) or
// retransmit lost segments. Needs CAP_NET_ADMIN: as uid 65534 these are skipped with the
// probe's reason, and the fixtures' refusal is asserted instead (test/faults-netns.test.ts runs
// them unprivileged inside a namespace).
import { createHash } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  canBlackhole,
  faultProxy,
  faultServer,
  setUserTimeout,
  tcpInfo,
  type FaultProxy,
  type FaultServer,
} from '../src/index.js';
import { HOSTS, until } from './helpers.js';
import { connect, httpGet, keeper, listening, okServer, outcome, sleep, writeBeforeAccept } from './faults-helpers.js';

const probe = canBlackhole();
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe.skipIf(!probe.ok).concurrent.each(HOSTS)(`silence from the first byte on %s${skipReason}`, (host) => {
  it("'silent' first: node:http writing at once with an 800 ms user timeout meets its own ETIMEDOUT", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ host, onConnection: ['silent'], holdTimeout: 10_000 }));
    const result = await httpGet(server.url, { userTimeout: 800 });
    console.log(
      `[${host}] silent before accept: ${result.code} after ${Math.round(result.ms)} ms, ${result.retransmits} retransmits`,
    );
    expect(result.code).toBe('ETIMEDOUT');
    // The request was never acknowledged: its kernel retransmitted it until the user timeout.
    expect(result.unacked).toBeGreaterThan(0);
    expect(result.retransmits).toBeGreaterThan(0);
    expect(result.ms).toBeLessThan(5_000);
    const [record] = await server.settled(1, { finished: false });
    expect(record.bytesReceived).toBe(0);
  });

  it("connections whose first script is 'silent': the first connection's request is never acknowledged either", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ host, connections: [['silent'], ['respond:200']], holdTimeout: 10_000 }));
    const silent = await httpGet(server.url, { userTimeout: 800 });
    expect(silent.code).toBe('ETIMEDOUT');
    expect(silent.unacked).toBeGreaterThan(0);
    const [record] = await server.settled(1, { finished: false });
    expect(record.bytesReceived).toBe(0);
  });

  it("an upstream timeout toxic on a proxy: the client's bytes never reach the upstream, its answers still reach the client", async (context) => {
    const keep = keeper(context);
    const got: Buffer[] = [];
    const upstream = keep(
      await listening(
        net.createServer((socket) => {
          socket.on('error', () => {});
          socket.on('data', (chunk: Buffer) => got.push(chunk));
          // Later than the proxy's upstream connect: the answer meets whatever filters are on by then.
          setTimeout(() => socket.write('hello'), 100);
        }),
        host,
      ),
    );
    const proxy = keep(await faultProxy(upstream, { host, toxics: [{ type: 'timeout', stream: 'upstream' }] }));
    const client = keep(await connect(proxy.port, host));
    const hello = new Promise<string>((resolve) => client.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    client.write('ask');
    expect(await hello).toBe('hello');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(got).toEqual([]);
    expect(proxy.connections[0]).toMatchObject({ requestBytes: 0, responseBytes: 5 });
  });

  it('a connection that is not silent, accepted while the listener is armed, pays one retransmission; later ones none', async (context) => {
    const keep = keeper(context);
    const server = keep(
      await faultServer({ host, connections: [['respond:200'], ['silent'], ['respond:200']], holdTimeout: 10_000 }),
    );
    const first = await httpGet(server.url);
    const silent = await httpGet(server.url, { userTimeout: 500 });
    const third = await httpGet(server.url);
    console.log(
      `[${host}] armed listener: not-silent #0 ${Math.round(first.ms)} ms (${first.retransmits} retransmit), ` +
        `silent #1 ${silent.code}, #2 after the last silent script ${Math.round(third.ms)} ms (${third.retransmits})`,
    );
    expect(first).toMatchObject({ status: 200, retransmits: 1 });
    expect(silent.code).toBe('ETIMEDOUT');
    expect(third).toMatchObject({ status: 200, retransmits: 0 });
  });

  it('timeout toxic added to an open connection: silence from then on, removed: the retransmission gets through', async (context) => {
    const keep = keeper(context);
    const server = keep(
      await faultServer({
        host,
        onConnection: ['read:5', { do: 'send', data: 'hello' }, 'read:5', { do: 'send', data: 'again' }],
      }),
    );
    const client = keep(await connect(server.port, host));
    const seen = outcome(client, 8_000);
    client.write('first');
    await until(() => (server.connections[0]?.bytesSent ?? 0) === 5);
    await server.addToxic({ type: 'timeout', name: 'cable' });
    client.write('later');
    await sleep(300);
    expect(tcpInfo(client).unacked).toBeGreaterThan(0);
    await server.removeToxic('cable');
    await until(() => (server.connections[0]?.bytesSent ?? 0) === 10, 3_000);
    expect(tcpInfo(client).totalRetrans).toBeGreaterThan(0);
    client.end();
    expect((await seen).data.toString()).toBe('helloagain');
    expect(server.connections[0].toxics.map((e) => e.action)).toEqual(['silence', 'unsilence']);
  });

  it('a step that begins in silence waits it out, and goes on the moment the toxic is removed', async (context) => {
    const keep = keeper(context);
    // The read step starts after the toxic is on: it waits out the silence (up to holdTimeout,
    // 20 s here), and removing the toxic must wake it, not leave it to sleep on.
    const server = keep(
      await faultServer({ host, onConnection: ['wait:300', 'read:5', { do: 'send', data: 'ok' }], holdTimeout: 20_000 }),
    );
    const client = keep(await connect(server.port, host));
    const seen = outcome(client, 8_000);
    await until(() => server.connections.length === 1);
    await server.addToxic({ type: 'timeout', name: 'cable' });
    client.write('hello');
    await sleep(600);
    expect(server.connections[0].steps.map((s) => s.step.do)).toEqual(['wait']);
    await server.removeToxic('cable');
    await until(() => (server.connections[0]?.bytesSent ?? 0) === 2, 3_000);
    client.end();
    expect((await seen).data.toString()).toBe('ok');
    expect(server.connections[0].toxics.map((e) => e.action)).toEqual(['silence', 'unsilence']);
  });

  it('a send step that begins in silence waits it out and sends when it ends', async (context) => {
    const keep = keeper(context);
    // The toxic goes on during the 300 ms wait (a margin for a loaded machine); stepTimeout
    // 250 ms, silence ~700 ms: the send step waits, it does not time out.
    const server = keep(
      await faultServer({ host, onConnection: ['wait:300', { do: 'send', data: 'ok' }], stepTimeout: 250, holdTimeout: 20_000 }),
    );
    const client = keep(await connect(server.port, host));
    const seen = outcome(client, 8_000);
    await until(() => server.connections.length === 1);
    await server.addToxic({ type: 'timeout', name: 'cable' });
    await sleep(700);
    expect(server.connections[0].bytesSent).toBe(0);
    await server.removeToxic('cable');
    await until(() => (server.connections[0]?.bytesSent ?? 0) === 2, 3_000);
    client.end();
    expect((await seen).data.toString()).toBe('ok');
    expect(server.connections[0].steps.map((s) => `${s.step.do} ${s.result}`)).toEqual(['wait ok', 'send ok']);
  });

  it('proxy timeout on the upstream stream: the client meets its own ETIMEDOUT, the upstream sees nothing', async (context) => {
    const keep = keeper(context);
    const api = keep(await okServer(host));
    const proxy = keep(await faultProxy(api, { host, toxics: [{ type: 'timeout', stream: 'upstream' }] }));
    const result = await httpGet(proxy.url, { userTimeout: 600 });
    expect(result.code).toBe('ETIMEDOUT');
    expect(result.retransmits).toBeGreaterThan(0);
    expect(proxy.connections[0]).toMatchObject({ requestBytes: 0 });
    expect(proxy.connections[0].toxics[0]).toMatchObject({ toxic: 'timeout_upstream', action: 'silence' });
  });

  it('proxy timeout on the downstream stream: the upstream server meets its own ETIMEDOUT', async (context) => {
    const keep = keeper(context);
    const errors: string[] = [];
    const upstream = keep(
      await listening(
        net.createServer((socket) => {
          setUserTimeout(socket, 500);
          socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? ''));
          socket.once('data', () => socket.write('answer'));
        }),
        host,
      ),
    );
    const proxy = keep(await faultProxy(upstream, { host, toxics: [{ type: 'timeout', stream: 'downstream' }] }));
    const client = keep(await connect(proxy.port, host));
    client.write('ask');
    await until(() => errors.length > 0, 4_000);
    expect(errors).toEqual(['ETIMEDOUT']);
    expect(proxy.connections[0]).toMatchObject({ requestBytes: 3, responseBytes: 0 });
  });

  it('timeout with a deadline closes the connection after it, as Toxiproxy does', async (context) => {
    const keep = keeper(context);
    const api = keep(await okServer(host));
    const proxy = keep(await faultProxy(api, { host, toxics: [{ type: 'timeout', stream: 'upstream', timeout: 300 }] }));
    const client = keep(await connect(proxy.port, host));
    const start = performance.now();
    const { end } = await outcome(client, 3_000);
    const ms = performance.now() - start;
    expect(end).toBe('end');
    expect(ms / 300).toBeGreaterThan(0.9);
    expect(ms / 300).toBeLessThan(3);
    expect(proxy.connections[0].toxics.map((e) => e.action)).toEqual(['silence', 'close']);
  });
});

describe.skipIf(!probe.ok).concurrent.each(HOSTS)(`packet loss in the kernel on %s${skipReason}`, (host) => {
  const SIZE = 16 * 1024 * 1024;
  const PROBABILITY = 0.05;

  it('proxy, upstream stream: the client retransmits, the upstream receives every byte', async (context) => {
    const keep = keeper(context);
    const received: Buffer[] = [];
    const upstream = keep(
      await listening(
        net.createServer((socket) => socket.on('data', (c: Buffer) => received.push(c))),
        host,
      ),
    );
    const proxy = keep(
      await faultProxy(upstream, { host, toxics: [{ type: 'packetLoss', stream: 'upstream', probability: PROBABILITY }] }),
    );
    const client = keep(await connect(proxy.port, host));
    const data = Buffer.alloc(SIZE, 'x');
    data.writeUInt32BE(0xdeadbeef, SIZE / 2);
    client.write(data);
    await until(() => received.reduce((n, c) => n + c.byteLength, 0) === SIZE, 10_000);
    const info = tcpInfo(client);
    console.log(
      `[${host}] loss ${PROBABILITY} upstream: ${info.totalRetrans} retransmits of ${info.segsOut} segments (${((info.totalRetrans ?? 0) / (info.segsOut ?? 1)).toFixed(3)})`,
    );
    expect(info.totalRetrans).toBeGreaterThan(0);
    expect(sha(Buffer.concat(received))).toBe(sha(data));
    expect(proxy.connections[0].toxics[0]).toMatchObject({ type: 'packetLoss', action: 'filter' });
  });

  it('proxy, downstream stream: the upstream server retransmits, the client receives every byte', async (context) => {
    const keep = keeper(context);
    const data = Buffer.alloc(SIZE, 'y');
    const accepted: net.Socket[] = [];
    const upstream = keep(
      await listening(
        net.createServer((socket) => {
          accepted.push(socket);
          socket.end(data);
        }),
        host,
      ),
    );
    const proxy = keep(
      await faultProxy(upstream, { host, toxics: [{ type: 'packetLoss', stream: 'downstream', probability: PROBABILITY }] }),
    );
    const client = keep(await connect(proxy.port, host));
    const got = await outcome(client, 10_000);
    expect(got.end).toBe('end');
    expect(sha(got.data)).toBe(sha(data));
    // The upstream's socket is closed by now; its kernel's count was taken by the proxy's peer.
    expect(proxy.connections[0].responseBytes).toBe(SIZE);
  });

  it('faultServer, upstream stream: the client retransmits, read:N gets every byte', async (context) => {
    const keep = keeper(context);
    const server = keep(
      await faultServer({
        host,
        onConnection: [`read:${SIZE}`, { do: 'send', data: 'done' }],
        toxics: [{ type: 'packetLoss', probability: PROBABILITY }],
      }),
    );
    const client = keep(await connect(server.port, host));
    const seen = outcome(client, 10_000);
    client.write(Buffer.alloc(SIZE, 'z'));
    await until(() => server.connections[0]?.bytesSent === 4, 10_000);
    expect(tcpInfo(client).totalRetrans).toBeGreaterThan(0);
    client.end();
    expect((await seen).data.toString()).toBe('done');
    expect(server.connections[0].bytesReceived).toBe(SIZE);
    expect(server.connections[0].received.subarray(0, 3).toString()).toBe('zzz');
  });
});

describe.runIf(!probe.ok)(`without CAP_NET_ADMIN: silence and loss are refused with the probe's code (${probe.code})`, () => {
  it('faultServer, faultProxy and addToxic reject before anything listens, naming what is missing', async (context) => {
    const keep = keeper(context);
    const expected = {
      code: probe.code,
      option: 'SO_ATTACH_FILTER',
      ...(probe.code === 'EPERM' ? { missing: 'CAP_NET_ADMIN' } : {}),
    };
    await expect(faultServer({ onConnection: ['reset'], toxics: [{ type: 'timeout' }] })).rejects.toMatchObject(expected);
    await expect(faultProxy({ port: 1 }, { toxics: [{ type: 'packetLoss', probability: 0.1 }] })).rejects.toMatchObject(expected);
    const server = keep(await faultServer({ onConnection: ['reset'] }));
    await expect(server.addToxic({ type: 'timeout' })).rejects.toMatchObject(expected);
    expect(server.toxics).toEqual([]);
  });
});

// Not concurrent: each check blocks this process (spawnSync) while a child writes, which would
// stall the sampling and timers of tests running beside it.
describe.skipIf(!probe.ok).each(HOSTS)(`the proxy's listener filter on %s${skipReason}`, (host) => {
  it("a timeout toxic added to a running proxy holds back a new connection's bytes before accept; removed, no longer; added while down or kept over down(), from up() on", async (context) => {
    const keep = keeper(context);
    const api = keep(await okServer(host));
    const proxy = keep(await faultProxy(api, { host }));
    const request = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';
    await proxy.addToxic({ type: 'timeout', stream: 'upstream', name: 'cable' });
    // The listener carries the handshake-only filter from then on: bytes written before the
    // proxy accepts (it cannot, this process is blocked meanwhile) are never acknowledged.
    const held = writeBeforeAccept(host, proxy.port, request);
    expect(held.unacked).toBe(1); // segments: the whole request in one
    expect(held.retransmits).toBeGreaterThan(0);
    // Removed: the listener's filter goes with it, and the kernel acknowledges them at once.
    await proxy.removeToxic('cable');
    expect(writeBeforeAccept(host, proxy.port, request)).toEqual({ unacked: 0, retransmits: 0 });
    await until(() => proxy.connections.length === 2);
    // Added while down: nothing to filter until up(), whose new listener gets it.
    await proxy.down();
    await proxy.addToxic({ type: 'timeout', stream: 'upstream', name: 'cable' });
    await proxy.up();
    expect(writeBeforeAccept(host, proxy.port, request)).toMatchObject({ unacked: 1 });
    // Down and up again with the toxic on: the listener up() opens starts bare and gets it too.
    await proxy.down();
    await proxy.up();
    expect(writeBeforeAccept(host, proxy.port, request)).toMatchObject({ unacked: 1 });
    expect(proxy.errors).toEqual([]);
  });
});
