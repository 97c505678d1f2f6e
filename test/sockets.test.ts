// sockets(): the kernel's own table (sock_diag) against what the same sockets say through their
// fds (tcpInfo, queues, SO_COOKIE) — real loopback connections, IPv4 and IPv6.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  blackhole,
  canBlackhole,
  queues,
  setKeepAlive,
  socketCookie,
  sockets,
  tcpInfo,
  type SnapshotSocket,
} from '../src/index.js';
import { native } from '../src/controls/native.js';
import { describeSocket } from '../src/controls/leaks.js';
import { explain } from '../src/controls/sockets.js';
import { formatIPv6 } from '../src/controls/address.js';
import { systemError } from '../src/controls/errors.js';
import { inspect } from 'node:util';
import { RawSocket } from '../src/index.js';
import { HOSTS, tcpPair, until, type TcpPair } from './helpers.js';

let pairs: TcpPair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});
async function newPair(host: (typeof HOSTS)[number] = '127.0.0.1', options: { allowHalfOpen?: boolean } = {}): Promise<TcpPair> {
  const p = await tcpPair(host, options);
  pairs.push(p);
  return p;
}

/** The snapshot's entry for a connected socket: found by its own ends. */
function entryOf(list: SnapshotSocket[], socket: net.Socket): SnapshotSocket | undefined {
  return list.find((s) => s.localPort === socket.localPort && s.remotePort === socket.remotePort);
}

describe.each(HOSTS)('sockets() on %s', (host) => {
  it("lists this process's listener and both ends, with the addresses their fds report", async () => {
    const p = await newPair(host);
    const all = sockets();
    const client = entryOf(all, p.client)!;
    const server = entryOf(all, p.server)!;
    const listener = all.find((s) => s.state === 'LISTEN' && s.localPort === p.port)!;
    for (const [entry, socket] of [
      [client, p.client],
      [server, p.server],
    ] as const) {
      expect(entry).toMatchObject({
        family: host === '::1' ? 6 : 4,
        state: 'ESTABLISHED',
        localAddress: socket.localAddress,
        remoteAddress: socket.remoteAddress,
        attribution: 'fd',
        timer: null,
        timerMs: 0,
      });
      expect(entry.inode).toBeGreaterThan(0);
      expect(entry.uid).toBe(process.getuid!());
      expect(entry.cookie).toBe(socketCookie(socket));
    }
    expect(listener).toMatchObject({ remotePort: 0, attribution: 'fd' });
    expect(listener.cookie).toBe(socketCookie(p.listener));
  });

  it("decodes each socket's tcp_info as tcpInfo() does, to the length the kernel gave", async () => {
    const p = await newPair(host);
    p.client.write(Buffer.alloc(1000, 1));
    await until(() => queues(p.server).unread === 1000);
    const entry = entryOf(sockets(), p.server)!;
    const direct = tcpInfo(p.server);
    const info = entry.tcpInfo!;
    expect(info.length).toBe(direct.length);
    // Counters that do not move without traffic are equal; the clocks only advance.
    for (const field of [
      'state',
      'caState',
      'options',
      'sndWscale',
      'rcvWscale',
      'sndMss',
      'rcvMss',
      'bytesReceived',
      'dataSegsIn',
      'segsIn',
      'totalRetrans',
      'pmtu',
      'advmss',
    ] as const) {
      expect(info[field], field).toBe(direct[field]);
    }
    expect(info.bytesReceived).toBe(1000);
    expect(info.lastDataRecvMs!).toBeLessThanOrEqual(direct.lastDataRecvMs!);
    // Decoded once, on first access.
    expect(entry.tcpInfo).toBe(info);
  });

  it('reports unread bytes and the queued send data as the queue ioctls do', async () => {
    const p = await newPair(host);
    p.server.pause();
    // Far more than loopback's buffers hold: the rest stays queued in the client.
    p.client.write(Buffer.alloc(8 << 20, 2));
    let last = -1;
    await until(() => {
      const now = queues(p.server).unread;
      const settled = now === last && now > 0;
      last = now;
      return settled;
    });
    const all = sockets();
    expect(entryOf(all, p.server)!.unread).toBe(queues(p.server).unread);
    expect(entryOf(all, p.client)!.queued).toBe(queues(p.client).queued);
    expect(entryOf(all, p.client)!.queued).toBeGreaterThan(0);
    // The peer's window is shut: the sender's kernel probes it on a timer of its own.
    await until(() => entryOf(sockets(), p.client)?.timer === 'zero-window-probe');
    const sender = entryOf(sockets(), p.client)!;
    expect(sender.tcpInfo!.sndWnd).toBe(0);
    expect(sender.timerMs).toBeGreaterThan(0);
  });

  it.skipIf(!canBlackhole().ok)('shows the retransmit timer and its count while the peer is silent', async () => {
    const p = await newPair(host);
    blackhole(p.server); // the server's kernel drops every segment: nothing gets acknowledged
    p.client.write('hello');
    await until(() => (entryOf(sockets(), p.client)?.timerRetries ?? 0) >= 1, 5000);
    const entry = entryOf(sockets(), p.client)!;
    expect(entry.timer).toBe('retransmit');
    expect(entry.timerRetries).toBe(entry.tcpInfo!.retransmits);
    expect(entry.queued).toBe(5);
    // What a leak check prints for it: the timer, when it fires and how many times it has.
    expect(describeSocket(entry)).toContain(`, retransmit timer fires in ${entry.timerMs} ms (${entry.timerRetries} so far), `);
    p.client.destroy();
  });

  it('shows the keepalive timer with its expiry', async () => {
    const p = await newPair(host);
    setKeepAlive(p.client, { idle: 60_000 });
    const entry = entryOf(sockets(), p.client)!;
    expect(entry.timer).toBe('keepalive');
    expect(entry.timerMs).toBeGreaterThan(55_000);
    expect(entry.timerMs).toBeLessThanOrEqual(60_000);
    expect(entryOf(sockets(), p.server)!.timer).toBeNull();
  });

  it('keeps TIME_WAIT sockets no fd holds: the accepted end through the listener, the connecting end as its peer', async () => {
    const p = await newPair(host);
    const serverPort = p.server.remotePort;
    // The server closes first and waits in TIME_WAIT on the listener's port.
    p.server.end();
    await once(p.client, 'end');
    p.client.end();
    await until(() => sockets().some((s) => s.state === 'TIME_WAIT' && s.localPort === p.port && s.remotePort === serverPort));
    const tw = sockets().find((s) => s.state === 'TIME_WAIT' && s.localPort === p.port && s.remotePort === serverPort)!;
    expect(tw).toMatchObject({ attribution: 'listener', inode: 0, timer: 'time-wait', tcpInfo: undefined });
    expect(tw.timerMs).toBeGreaterThan(50_000);
    expect(tw.timerMs).toBeLessThanOrEqual(60_000);

    // The client closes first: its TIME_WAIT is under its own ephemeral port, toward our listener.
    const q = await newPair(host);
    const clientPort = q.client.localPort;
    q.client.end();
    await once(q.server, 'end');
    q.server.end();
    const ours = (s: SnapshotSocket) => s.state === 'TIME_WAIT' && s.localPort === clientPort && s.remotePort === q.port;
    await until(() => sockets().some(ours));
    expect(sockets().find(ours)).toMatchObject({
      attribution: 'peer',
      remotePort: q.port,
    });
  });

  it('filters by state and family in the kernel', async () => {
    const p = await newPair(host);
    const family = host === '::1' ? 6 : 4;
    const listening = sockets({ states: ['LISTEN'] });
    expect(listening.every((s) => s.state === 'LISTEN')).toBe(true);
    expect(listening.some((s) => s.localPort === p.port)).toBe(true);
    const other = sockets({ family: family === 6 ? 4 : 6 });
    expect(entryOf(other, p.client)).toBeUndefined();
    expect(entryOf(sockets({ family }), p.client)).toBeDefined();
  });
});

describe('sockets() with port filters', () => {
  it('returns exactly the sockets on the given local, remote or either ports', async () => {
    const p = await newPair();
    // Held sockets only: an earlier connection on a reused port number may still be in TIME_WAIT.
    const held = (filter: Parameters<typeof sockets>[0]) =>
      sockets(filter)
        .filter((s) => s.inode !== 0)
        .map((s) => `${s.state} ${s.localPort}>${s.remotePort}`)
        .sort();
    expect(held({ localPorts: [p.port] })).toEqual([`ESTABLISHED ${p.port}>${p.client.localPort}`, `LISTEN ${p.port}>0`].sort());
    expect(held({ remotePorts: [p.port] })).toEqual([`ESTABLISHED ${p.client.localPort}>${p.port}`]);
    expect(held({ ports: [p.port] })).toHaveLength(3);
    expect(held({ localPorts: [p.client.localPort!], remotePorts: [p.port] })).toHaveLength(1);
    expect(held({ localPorts: [p.port], remotePorts: [p.port] })).toHaveLength(0);
    expect(
      sockets({ ports: [p.port] })
        .filter((s) => s.inode !== 0)
        .every((s) => s.attribution === 'fd'),
    ).toBe(true);
  });

  it("finds another process's sockets only by port, and says they are not this process's", async () => {
    // A listener in a child process: not in this process's snapshot, on its port with 'filter'.
    const child = spawn(
      process.execPath,
      ['-e', "require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const port = Number(String(line).trim());
      expect(sockets().some((s) => s.localPort === port && s.state === 'LISTEN')).toBe(false);
      const theirs = sockets({ localPorts: [port], states: ['LISTEN'] });
      expect(theirs).toHaveLength(1);
      expect(theirs[0]).toMatchObject({ state: 'LISTEN', attribution: 'filter' });
      expect(theirs[0].inode).toBeGreaterThan(0);
    } finally {
      child.kill();
    }
  });

  it('holds only the matching sockets in memory, however many the kernel walks', async () => {
    const p = await newPair();
    const extra = await Promise.all(
      Array.from(
        { length: 50 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(p.port, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    try {
      // Both ports: another socket may use the client's ephemeral port toward somewhere else.
      const [records, count] = native.sockets.snapshot(0, 0xffff, [p.client.localPort!], [p.port], null);
      expect(count).toBe(1);
      // One record: an 80-byte header and tcp_info padded to 8.
      expect(records.byteLength).toBe(80 + Math.ceil(tcpInfo(p.client).length / 8) * 8);
    } finally {
      for (const s of extra) s.destroy();
    }
  });
});

describe('sockets() input', () => {
  const bad: Array<[string, unknown, string]> = [
    ['a string filter', 'x', 'ERR_INVALID_ARG_TYPE'],
    ['family 5', { family: 5 }, 'ERR_OUT_OF_RANGE'],
    ["family '4'", { family: '4' }, 'ERR_INVALID_ARG_TYPE'],
    ['port -1', { ports: [-1] }, 'ERR_OUT_OF_RANGE'],
    ['port 65536', { localPorts: [65536] }, 'ERR_OUT_OF_RANGE'],
    ['port 1.5', { remotePorts: [1.5] }, 'ERR_OUT_OF_RANGE'],
    ["port '80'", { ports: ['80'] }, 'ERR_INVALID_ARG_TYPE'],
    ['ports not an array', { ports: 80 }, 'ERR_INVALID_ARG_TYPE'],
    ['1001 ports', { ports: Array.from({ length: 1001 }, () => 80) }, 'ERR_OUT_OF_RANGE'],
    ['501 + 500 ports', { localPorts: Array(501).fill(1), remotePorts: Array(500).fill(2) }, 'ERR_OUT_OF_RANGE'],
    ['an unknown state', { states: ['OPEN'] }, 'ERR_INVALID_ARG_VALUE'],
    ['states not an array', { states: 'LISTEN' }, 'ERR_INVALID_ARG_TYPE'],
  ];

  it.each(bad)('%s is refused before any syscall', (_name, filter, code) => {
    const real = native.sockets.snapshot;
    let called = false;
    native.sockets.snapshot = (...args) => {
      called = true;
      return real(...args);
    };
    try {
      expect(() => sockets(filter as never)).toThrow(expect.objectContaining({ code }));
    } finally {
      native.sockets.snapshot = real;
    }
    expect(called).toBe(false);
  });

  it("the most ports a filter takes, on either side, fit the kernel's program", async () => {
    const p = await newPair();
    const ports = Array.from({ length: 1000 }, (_, i) => (i === 999 ? p.port : 1 + i));
    expect(sockets({ ports }).filter((s) => s.inode !== 0)).toHaveLength(3);
    expect(
      sockets({ localPorts: ports.slice(0, 500), remotePorts: [...ports.slice(500)] }).filter((s) => s.inode !== 0),
    ).toHaveLength(0);
  });

  it('an empty port or state list matches nothing', () => {
    expect(sockets({ ports: [] })).toEqual([]);
    expect(sockets({ states: [] })).toEqual([]);
  });

  it('the native binding refuses garbage with coded errors too', () => {
    expect(() => native.sockets.snapshot(5 as never, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => native.sockets.snapshot(0, 0, [70000])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => native.sockets.snapshot(0, 0, 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => native.sockets.attribute(new Uint8Array(100).fill(9))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('serializes to JSON with tcp_info decoded and the cookie as text', async () => {
    const p = await newPair();
    const json = JSON.parse(JSON.stringify(entryOf(sockets(), p.client)));
    expect(json).toMatchObject({ state: 'ESTABLISHED', attribution: 'fd', cookie: String(socketCookie(p.client)) });
    expect(json.tcpInfo.state).toBe('ESTABLISHED');
  });
});

describe('a connection still in its handshake', () => {
  it.skipIf(!canBlackhole().ok)(
    'is found by the state SYN_RECV: the kernel keeps it as a request socket of the listener',
    async () => {
      const server = net.createServer().listen(0, '127.0.0.1');
      await once(server, 'listening');
      const port = (server.address() as net.AddressInfo).port;
      const client = RawSocket.create(4);
      try {
        blackhole(client); // the client drops the SYN-ACK: the server's side stays half-open
        const connecting = await client.connect('127.0.0.1', port, { timeout: 100 });
        expect(connecting).toMatchObject({ ok: false });
        const clientPort = client.localAddress!.port;
        const found = sockets({ states: ['SYN_RECV'], localPorts: [port] });
        expect(found.map((s) => [s.state, s.remotePort])).toEqual([['SYN_RECV', clientPort]]);
        expect(sockets({ states: ['ESTABLISHED'], localPorts: [port] })).toEqual([]);
      } finally {
        client.close();
        server.close();
      }
    },
  );
});

describe('attribution of a port-filtered snapshot', () => {
  it('costs one pass over the fds, when the first entry is asked, and none when nobody asks', async () => {
    const p = await newPair();
    const attribute = vi.spyOn(native.sockets, 'attribute');
    try {
      const found = sockets({ localPorts: [p.port] });
      expect(found.length).toBeGreaterThanOrEqual(2);
      expect(found.map((s) => s.state).sort()).toEqual(['ESTABLISHED', 'LISTEN']);
      expect(attribute).not.toHaveBeenCalled();
      expect(found.map((s) => s.attribution)).toEqual(['fd', 'fd']);
      expect(found[0].attribution).toBe('fd');
      expect(attribute).toHaveBeenCalledTimes(1);
    } finally {
      attribute.mockRestore();
    }
  });
});

describe('the text of a snapshot', () => {
  it('an address as RFC 5952 writes it (libuv prints the same)', () => {
    const text = (...groups: number[]) => {
      const view = new DataView(new ArrayBuffer(20));
      groups.forEach((g, i) => view.setUint16(4 + 2 * i, g, false));
      return formatIPv6(view, 4);
    };
    expect(text(0, 0, 0, 0, 0, 0, 0, 0)).toBe('::');
    expect(text(0, 0, 0, 0, 0, 0, 0, 1)).toBe('::1');
    expect(text(1, 0, 0, 0, 0, 0, 0, 0)).toBe('1::');
    expect(text(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1)).toBe('2001:db8:0:1:1:1:1:1');
    expect(text(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)).toBe('2001:db8::1:0:0:1');
    expect(text(1, 0, 0, 2, 0, 0, 0, 3)).toBe('1:0:0:2::3');
    expect(text(0xfe80, 0, 0, 0, 1, 0, 0, 0)).toBe('fe80::1:0:0:0');
    expect(text(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1)).toBe('::ffff:127.0.0.1');
    expect(text(0, 0, 0, 0, 0, 0xffff, 0, 0)).toBe('::ffff:0.0.0.0');
    expect(text(0, 0, 0, 0, 0, 0, 0x0a00, 2)).toBe('::10.0.0.2');
    expect(text(0, 0, 0, 0, 1, 0xffff, 0x7f00, 1)).toBe('::1:ffff:7f00:1');
    expect(text(0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x10, 0xabcd)).toBe('a:b:c:d:e:f:10:abcd');
    // A single zero group stays, at either end or inside.
    expect(text(0, 1, 2, 3, 4, 5, 6, 7)).toBe('0:1:2:3:4:5:6:7');
    expect(text(1, 2, 3, 4, 5, 6, 7, 0)).toBe('1:2:3:4:5:6:7:0');
    expect(text(1, 0, 3, 0, 5, 0, 7, 0)).toBe('1:0:3:0:5:0:7:0');
    expect(text(0, 0, 3, 4, 5, 6, 0, 0)).toBe('::3:4:5:6:0:0');
    expect(text(1, 2, 3, 4, 5, 6, 0, 0)).toBe('1:2:3:4:5:6::');
  });

  it('inspect() names the class and shows attribution and cookie', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as net.AddressInfo).port;
      const [entry] = sockets({ localPorts: [port] });
      const text = inspect(entry);
      expect(text.startsWith('SnapshotSocket {')).toBe(true);
      expect(text).toContain("state: 'LISTEN'");
      expect(text).toContain("attribution: 'fd'");
      expect(text).toContain(`cookie: ${entry!.cookie}n`);
    } finally {
      server.close();
    }
  });

  it("a kernel without sock_diag's TCP handler: the error says which modules", () => {
    const enoent = explain(systemError(2, 'recvmsg')) as Error;
    expect(enoent.message).toBe(
      'recvmsg ENOENT: the kernel has no sock_diag handler for TCP: the inet_diag and tcp_diag ' +
        'modules are not loaded (modprobe tcp_diag) or not built (CONFIG_INET_TCP_DIAG)',
    );
    expect(enoent).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'recvmsg' });
    expect((explain(systemError(2, 'socket')) as Error).message).toBe('socket ENOENT');
    expect((explain(systemError(13, 'recvmsg')) as Error).message).toBe('recvmsg EACCES');
    expect(explain({ code: 'ENOENT', syscall: 'recvmsg', message: 'x' })).toEqual({
      code: 'ENOENT',
      syscall: 'recvmsg',
      message: 'x',
    });
  });
});
