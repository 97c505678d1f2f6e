// Capture on the loopback (src/raw/capture.ts, native/capture.cc): what the kernel's filter lets
// through, once per segment, with times inside the syscalls that sent them; its bounds; and its
// refusals. Privileged parts run where CAP_NET_RAW is held (root, or the namespace tests in
// test/wire-privilege.test.ts), and are skipped with the probe's reason elsewhere.
import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { Capture, canCapture } from '../src/raw/capture.js';
import { fdOf } from '../src/controls/handle.js';
import { native } from '../src/controls/native.js';
import { RawSocket } from '../src/raw/raw-socket.js';
import { wireSegments } from '../src/raw/wire.js';
import { blackhole, canBlackhole, unblackhole } from '../src/raw/blackhole.js';
import { HOSTS, until, messageOf, packetSockets } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const probe = canCapture();
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;
if (!probe.ok) console.log(`capture tests skipped: ${probe.code}: ${probe.reason}`);

async function connection(host: string) {
  const listened = await RawSocket.listen({ host });
  if (!listened.ok) throw new Error(listened.code);
  return listened.socket;
}

async function connectTo(listener: RawSocket) {
  const { address, port } = listener.localAddress!;
  const connected = await RawSocket.connect({ host: address, port });
  if (!connected.ok) throw new Error(connected.code);
  const accepted = await listener.accept();
  if (!accepted.ok) throw new Error(accepted.code);
  return { client: connected.socket, server: accepted.socket };
}

describe.skipIf(!probe.ok).each(HOSTS)(`capture on %s${skipReason}`, (host) => {
  it('sees each segment of its own connection once, in order, inside the syscall that sent it', async () => {
    const listener = await connection(host);
    const capture = Capture.open(listener);
    try {
      const { client, server } = await connectTo(listener);
      const before = performance.now();
      await client.send('ab');
      const after = performance.now();
      await capture.settle();
      const port = listener.localAddress!.port;
      const segments = wireSegments(capture.segments, (end) => (end.port === port ? 'server' : 'client'), 0);
      expect(segments.map((s) => `${s.from} ${s.flags} ${s.seq}${s.length ? ` len ${s.length}` : ''}`)).toEqual([
        'client S 0',
        'server S. 0',
        'client . 1',
        'client P. 1 len 2',
        'server . 1',
      ]);
      // Kernel receive times on performance.now()'s clock: the data segment arrived during send().
      const data = capture.segments.find((s) => s.length === 2)!;
      expect(data.at).toBeGreaterThanOrEqual(before);
      expect(data.at).toBeLessThanOrEqual(after);
      expect(capture.segments.every((s) => s.family === (host === '::1' ? 6 : 4))).toBe(true);
      expect(capture.dropped).toBe(0);
      for (const s of [client, server]) s.close();
    } finally {
      capture.close();
      listener.close();
    }
  });

  it('sees nothing of connections on other ports, until add() names them', async () => {
    const mine = await connection(host);
    const other = await connection(host);
    const capture = Capture.open(mine);
    const a = await connectTo(other);
    await a.client.send('x');
    await capture.settle();
    expect(capture.segments).toEqual([]);
    capture.add(other);
    await a.client.send('y');
    await capture.settle();
    expect(capture.segments.map((s) => s.length)).toEqual([1, 0]);
    for (const s of [a.client, a.server, mine, other]) s.close();
    capture.close();
  });

  it('sees nothing of another socket on the same port number at another address or family', async () => {
    // The port number is free on the other family (and on another loopback address): a socket of
    // another test or process may hold it there, and its segments pass the kernel's port filter.
    // Another process may hold it there right now, too: then take another port (10 tries at most).
    const otherHosts = [host === '::1' ? '127.0.0.1' : '::1', ...(host === '::1' ? [] : ['127.0.0.2'])];
    let mine: RawSocket | undefined;
    let others: RawSocket[] = [];
    for (let attempt = 0; attempt < 10 && mine === undefined; attempt++) {
      const candidate = await connection(host);
      const taken: RawSocket[] = [];
      for (const other of otherHosts) {
        const listened = await RawSocket.listen({ host: other, port: candidate.localAddress!.port });
        if (listened.ok) taken.push(listened.socket);
        else if (listened.code !== 'EADDRINUSE') throw new Error(`${other} ${listened.code}`);
      }
      if (taken.length === otherHosts.length) {
        [mine, others] = [candidate, taken];
      } else {
        for (const socket of [candidate, ...taken]) socket.close();
      }
    }
    if (mine === undefined) throw new Error('no port free on every loopback address in 10 tries');
    const port = mine.localAddress!.port;
    const capture = Capture.open(mine);
    try {
      for (const other of others) {
        const c = await connectTo(other);
        await c.client.send('x');
        c.client.close();
        c.server.close();
      }
      await capture.settle();
      expect(capture.segments).toEqual([]);
      // Its own connection still is.
      const own = await connectTo(mine);
      await own.client.send('y');
      await capture.settle();
      expect(capture.segments.map((s) => s.flags).slice(0, 3)).toEqual(['S', 'S.', '.']);
      expect(capture.segments.every((s) => s.destination.port === port || s.source.port === port)).toBe(true);
      own.client.close();
      own.server.close();
    } finally {
      capture.close();
      for (const s of [mine, ...others]) s.close();
    }
  });

  it('captures a net.Server and its connections too (only their ports are read)', async () => {
    const server = net.createServer((socket) => socket.end('hi'));
    server.listen(0, host);
    await once(server, 'listening');
    const capture = Capture.open(server);
    const client = net.connect((server.address() as net.AddressInfo).port, host);
    client.resume();
    await once(client, 'end');
    client.end();
    await capture.settle();
    expect(capture.segments.map((s) => s.flags).slice(0, 3)).toEqual(['S', 'S.', '.']);
    expect(capture.segments.some((s) => s.length === 2)).toBe(true);
    capture.close();
    server.close();
  });
});

describe.skipIf(!probe.ok)(`capture bounds and ownership${skipReason}`, () => {
  it('a listener on a wildcard address owns its port on every address of its family: :: both, 0.0.0.0 IPv4', async () => {
    for (const [wildcard, hosts] of [
      ['::', ['127.0.0.1', '::1']],
      ['0.0.0.0', ['127.0.0.1']],
    ] as const) {
      const server = net.createServer((socket) => socket.end('hi'));
      server.listen(0, wildcard);
      await once(server, 'listening');
      const capture = Capture.open(server);
      try {
        for (const host of hosts) {
          const client = net.connect((server.address() as net.AddressInfo).port, host);
          client.resume();
          await once(client, 'end');
          client.end();
        }
        await capture.settle();
        const syns = capture.segments.filter((s) => s.flags === 'S');
        expect(syns.map((s) => s.family).sort(), wildcard).toEqual(hosts.map((h) => (h === '::1' ? 6 : 4)).sort());
      } finally {
        capture.close();
        server.close();
      }
    }
  });

  it('a 0.0.0.0 listener does not own the same port number on ::1', async () => {
    const v4 = net.createServer((socket) => socket.end('4'));
    v4.listen(0, '0.0.0.0');
    await once(v4, 'listening');
    const port = (v4.address() as net.AddressInfo).port;
    const v6 = net.createServer((socket) => socket.end('6'));
    v6.listen(port, '::1');
    await once(v6, 'listening');
    const capture = Capture.open(v4);
    try {
      for (const host of ['::1', '127.0.0.1']) {
        const client = net.connect(port, host);
        client.resume();
        await once(client, 'end');
        client.end();
      }
      await capture.settle();
      expect(capture.segments.filter((s) => s.flags === 'S').map((s) => s.family)).toEqual([4]);
    } finally {
      capture.close();
      v4.close();
      v6.close();
    }
  });

  it("a dual-stack listener's IPv4 connection (::ffff:127.0.0.1 to Node) is captured as the IPv4 packets it sends", async () => {
    const server = net.createServer();
    server.listen(0, '::');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const [socket] = await accepted;
    expect(socket.localAddress).toBe('::ffff:127.0.0.1');
    const capture = Capture.open(socket);
    try {
      socket.write('abc');
      client.resume();
      await once(client, 'data');
      await capture.settle();
      expect(capture.segments.map((s) => [s.family, s.flags, s.length])).toEqual([
        [4, 'P.', 3],
        [4, '.', 0],
      ]);
    } finally {
      capture.close();
      client.destroy();
      socket.destroy();
      server.close();
    }
  });

  it('drains the kernel ring by itself: a full capture stops while nobody reads it', async () => {
    // A tap of its own (the last one has lingered out): the timer under test is the one it starts.
    await until(() => packetSockets() === 0, 2000);
    const listener = await connection('127.0.0.1');
    const capture = Capture.open(listener, { maxSegments: 2 });
    const { client, server } = await connectTo(listener);
    try {
      // Not a read of `segments` (which drains): only the 50 ms timer can have seen them.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(capture.stopped).toBe('segments');
      expect(capture.closed).toBe(true);
    } finally {
      capture.close();
      client.close();
      server.close();
      listener.close();
    }
  });

  it.skipIf(!canBlackhole().ok)(
    'a connecting net.Socket whose address() Node has cached empty is captured by its kernel address',
    async () => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      blackhole(server); // the SYN goes unanswered: the client stays in SYN_SENT
      const port = (server.address() as net.AddressInfo).port;
      const client = net.connect(port, '127.0.0.1');
      client.on('error', () => {});
      // Read before the socket exists, Node caches an empty address until the connection is made.
      expect(client.localPort).toBeUndefined();
      await until(() => (client as unknown as { _handle?: { fd?: number } })._handle?.fd !== -1, 1000);
      expect(client.connecting).toBe(true);
      expect(client.address()).toEqual({});
      const capture = Capture.open(client);
      try {
        unblackhole(server); // the SYN's retransmission (after ~1 s) is answered
        await once(client, 'connect');
        await capture.settle();
        const own = capture.segments.map((s) => s.flags);
        // The first SYN left before the capture opened; its retransmission and the answer are seen.
        expect(own.slice(0, 3)).toEqual(['S', 'S.', '.']);
      } finally {
        capture.close();
        client.destroy();
        server.close();
      }
    },
  );

  it('a failed open while the last capture lingers out closes the packet socket once, after the linger', async () => {
    await until(() => packetSockets() === 0, 2000);
    const listener = await connection('127.0.0.1');
    const unbound = RawSocket.create(4);
    try {
      Capture.open(listener).close(); // the tap lingers 200 ms
      expect(() => Capture.open(unbound)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(packetSockets()).toBe(1);
      // One close, not two: a second would close an fd number the kernel may have handed on.
      await until(() => packetSockets() === 0, 2000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(canCapture()).toEqual({ ok: true });
      const again = Capture.open(listener);
      expect(again.closed).toBe(false);
      again.close();
    } finally {
      unbound.close();
      listener.close();
    }
  });

  it("a foreign 'this' is refused by every accessor", () => {
    for (const name of ['segments', 'dropped', 'malformed', 'stopped', 'closed']) {
      const getter = Object.getOwnPropertyDescriptor(Capture.prototype, name)!.get!;
      expect(() => getter.call({}), name).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_TYPE',
          message: 'The "this" argument must be an instance of Capture. Received an instance of Object',
        }),
      );
      expect(() => getter.call(null), name).toThrow('Received null');
    }
  });

  it('an open that fails after its packet socket was made does not keep the socket', async () => {
    await until(() => packetSockets() === 0, 2000); // the earlier tests' captures have lingered out
    const unbound = RawSocket.create(4);
    try {
      expect(() => Capture.open(unbound)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(packetSockets()).toBe(1); // opened for this call...
      await until(() => packetSockets() === 0, 2000); // ...and closed after the linger
    } finally {
      unbound.close();
    }
  });

  it('marks as forged only the first segment matching all four fields of a key, once', async () => {
    const listener = await connection('127.0.0.1');
    const capture = Capture.open(listener);
    const { client, server } = await connectTo(listener);
    try {
      const sport = client.localAddress!.port;
      const dport = listener.localAddress!.port;
      await client.send('a');
      await capture.settle();
      const first = capture.segments.find((s) => s.length === 1)!;
      let seq = (first.seq + 1) >>> 0;
      const key = { sourcePort: sport, destinationPort: dport, seq, flagBits: first.flagBits };
      // Each key wrong in one field: the next data segment is not the forged one.
      for (const wrong of [
        { ...key, sourcePort: sport ^ 1 },
        { ...key, destinationPort: dport ^ 1 },
        { ...key, seq: (seq + 1) >>> 0 },
        { ...key, flagBits: key.flagBits ^ 0x08 },
      ]) {
        capture.expectForged(wrong);
        await client.send('b');
        await capture.settle();
        const last = capture.segments.filter((s) => s.length === 1).at(-1)!;
        expect([last.seq, last.forged ?? false]).toEqual([seq, false]);
        seq = (seq + 1) >>> 0;
      }
      // The key that matches all four is used once: the segment after it is not forged.
      capture.expectForged({ ...key, seq });
      await client.send('c');
      await client.send('d');
      await capture.settle();
      expect(
        capture.segments
          .filter((s) => s.length === 1)
          .slice(-2)
          .map((s) => [s.seq - seq, s.forged ?? false]),
      ).toEqual([
        [0, true],
        [1, false],
      ]);
      expect(messageOf(() => capture.expectForged({ ...key, seq: 2 ** 32 }))).toContain(
        'The value of "key.seq" is out of range. It must be an integer >= 0 and <= 4294967295. Received 4294967296',
      );
      expect(messageOf(() => capture.expectForged({ ...key, sourcePort: 65536 }))).toContain(
        'The value of "key.sourcePort" is out of range',
      );
      expect(messageOf(() => capture.expectForged({ ...key, destinationPort: -1 }))).toContain(
        'The value of "key.destinationPort" is out of range',
      );
      expect(messageOf(() => capture.expectForged({ ...key, flagBits: 256 }))).toContain(
        'The value of "key.flagBits" is out of range',
      );
      expect(messageOf(() => capture.expectForged(null as never))).toContain(
        'The "key" argument must be of type object. Received null',
      );
    } finally {
      capture.close();
      client.close();
      server.close();
      listener.close();
    }
  });

  it('stops by itself at maxSegments and at maxMs, keeping what it saw', async () => {
    const listener = await connection('127.0.0.1');
    const bySegments = Capture.open(listener, { maxSegments: 2 });
    const byTime = Capture.open(listener, { maxMs: 50 });
    const { client, server } = await connectTo(listener);
    expect(bySegments.segments).toHaveLength(2);
    expect(bySegments.stopped).toBe('segments');
    expect(bySegments.closed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(byTime.stopped).toBe('time');
    expect(byTime.closed).toBe(true);
    expect(byTime.segments).toHaveLength(3);
    for (const s of [client, server, listener]) s.close();
  });

  it('shares one owned packet socket, closed 200 ms after the last capture closes', async () => {
    const listener = await connection('127.0.0.1');
    await sleep(300); // a capture of an earlier test may still hold it
    const owned = native.rawIo.ownedCount();
    const first = Capture.open(listener);
    const second = Capture.open(listener);
    expect(native.rawIo.ownedCount()).toBe(owned + 1);
    first.close();
    first.close();
    second.close();
    expect(native.rawIo.ownedCount()).toBe(owned + 1);
    await sleep(300);
    expect(native.rawIo.ownedCount()).toBe(owned);
    expect(() => first.add(listener)).toThrow(expect.objectContaining({ code: 'ERR_SOCKCTL_CAPTURE_CLOSED' }));
    listener.close();
  });

  it('two captures on one port both see its segments; each only since it opened', async () => {
    const listener = await connection('127.0.0.1');
    const early = Capture.open(listener);
    const a = await connectTo(listener);
    const late = Capture.open(listener);
    await a.client.send('x');
    await early.settle();
    expect(early.segments.map((s) => s.flags)).toEqual(['S', 'S.', '.', 'P.', '.']);
    expect(late.segments.map((s) => s.flags)).toEqual(['P.', '.']);
    for (const s of [a.client, a.server, listener]) s.close();
    early.close();
    late.close();
  });

  it('the addon filters on ports of bound TCP sockets only, counts holders, and reads only its own captures', async () => {
    const listener = await connection('127.0.0.1');
    const unbound = RawSocket.create(4);
    const fd = native.capture.open();
    try {
      expect(native.capture.ports(fd)).toEqual([]);
      // Empty, stdin, a closed number, not a number, negative, a TCP socket not bound yet.
      for (const fds of [[], [0], [2 ** 31 - 1], ['3'], [-1], [fdOf(unbound)]]) {
        expect(() => native.capture.add(fd, fds as number[])).toThrow(
          expect.objectContaining({ code: expect.stringMatching(/^ERR_/) }),
        );
      }
      const port = listener.localAddress!.port;
      expect(native.capture.add(fd, [fdOf(listener), fdOf(listener)])).toEqual([port, port]);
      native.capture.remove(fd, [port]);
      expect(native.capture.ports(fd)).toEqual([port]);
      native.capture.remove(fd, [port]);
      expect(native.capture.ports(fd)).toEqual([]);
      expect(() => native.capture.remove(fd, [port])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(() => native.capture.remove(fd, [0])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => native.capture.read(fdOf(listener), new Uint8Array(64))).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
      );
    } finally {
      native.rawIo.close(fd);
      unbound.close();
      listener.close();
    }
  });
});

describe.skipIf(!probe.ok)(`the filter's bound: 200 ports${skipReason}`, () => {
  it('passes the 1st and the 200th port of a full list, refuses a 201st', async () => {
    const listeners = await Promise.all(Array.from({ length: 201 }, () => connection('127.0.0.1')));
    const capture = Capture.open(listeners.slice(0, 200));
    try {
      for (const listener of [listeners[0], listeners[199], listeners[200]]) {
        const a = await connectTo(listener);
        a.client.close();
        a.server.close();
      }
      await capture.settle();
      const ports = new Set(capture.segments.map((s) => s.destination.port));
      expect(ports.has(listeners[0].localAddress!.port)).toBe(true);
      expect(ports.has(listeners[199].localAddress!.port)).toBe(true);
      expect(ports.has(listeners[200].localAddress!.port)).toBe(false);
      expect(() => capture.add(listeners[200])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    } finally {
      capture.close();
      listeners.forEach((l) => l.close());
    }
  });
});

describe('Capture.open refuses what is not a socket', () => {
  it('each with its own error, before any packet socket is opened', () => {
    const notASocket = 'an instance of net.Socket, tls.TLSSocket, net.Server or RawSocket';
    for (const [value, received] of [
      [undefined, 'undefined'],
      [null, 'null'],
      [3, 'type number (3)'],
      [{}, 'an instance of Object'],
    ] as const) {
      expect(() => Capture.open(value as never)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_TYPE',
          message: `The "sockets[0]" argument must be ${notASocket}. Received ${received}`,
        }),
      );
    }
    const max = native.capture.constants.MAX_PORTS;
    for (const list of [[], new Array(max + 1).fill(null)]) {
      expect(() => Capture.open(list)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_VALUE',
          message: `The argument 'sockets' must be 1 to ${max} sockets. Received an instance of Array`,
        }),
      );
    }
  });

  it('cannot be constructed except through Capture.open', () => {
    const Constructor = Capture as unknown as new (token: symbol) => Capture;
    expect(() => new Constructor(Symbol('sockctl.capture'))).toThrow(
      expect.objectContaining({ code: 'ERR_ILLEGAL_CONSTRUCTOR', message: 'Use Capture.open()' }),
    );
  });

  it('and bad options', async () => {
    const listener = await connection('127.0.0.1');
    expect(() => Capture.open(listener, { maxSegments: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => Capture.open(listener, { maxMs: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => Capture.open(listener, null as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "options" argument must be of type object. Received null',
      }),
    );
    expect(messageOf(() => Capture.open(listener, { maxSegments: 1_000_001 }))).toContain(
      'The value of "options.maxSegments" is out of range. It must be an integer >= 1 and <= 1000000. Received 1000001',
    );
    expect(messageOf(() => Capture.open(listener, { maxMs: 2 ** 31 }))).toContain(
      'The value of "options.maxMs" is out of range. It must be an integer >= 0 and <= 2147483647. Received 2147483648',
    );
    listener.close();
  });
});

describe.skipIf(probe.ok)('without CAP_NET_RAW', () => {
  it("the probe says what is missing, and open() throws the kernel's EPERM with it", async () => {
    expect(probe).toMatchObject({ ok: false, code: 'EPERM', reason: expect.stringContaining('CAP_NET_RAW') });
    const listener = await connection('127.0.0.1');
    expect(() => Capture.open(listener)).toThrow(
      expect.objectContaining({ code: 'EPERM', errno: -1, syscall: 'socket', option: 'AF_PACKET', missing: 'CAP_NET_RAW' }),
    );
    listener.close();
  });
});
