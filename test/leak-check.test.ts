// The leak check of sockctl/testing on real leaks: a CLOSE_WAIT the application never closes, a
// listener left open, TIME_WAIT after a clean close (named only when asked for).
import { once } from 'node:events';
import net from 'node:net';
import { AssertionError } from 'node:assert';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeSocket, expectNoLeakedSockets, leakedSockets, markSockets, socketBaseline } from '../src/testing.js';
import { baselineOf, EMPTY_BASELINE, leakNamed } from '../src/controls/leaks.js';
import { tcpPair, until, type TcpPair, messageOf } from './helpers.js';

let pairs: TcpPair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

describe('leakedSockets', () => {
  it('names a CLOSE_WAIT socket held open after the peer closed: state, ends, no timer', async () => {
    const since = socketBaseline();
    const p = await tcpPair('127.0.0.1', { allowHalfOpen: true });
    pairs.push(p);
    p.server.end(); // the peer is done
    p.client.resume();
    await once(p.client, 'end'); // ...and the application never ends its side
    await until(() => leakedSockets({ since }).some((s) => s.state === 'FIN_WAIT2'));
    const leaked = leakedSockets({ since });
    const closeWait = leaked.find((s) => s.state === 'CLOSE_WAIT')!;
    expect(closeWait).toMatchObject({
      attribution: 'fd',
      localPort: p.client.localPort,
      remotePort: p.port,
      timer: null,
      unread: 0,
    });
    // Idle since the FIN: tcp_info's clocks say how long.
    expect(closeWait.tcpInfo!.lastDataRecvMs).toBeGreaterThanOrEqual(0);
    // The listener and the server's end (FIN_WAIT2, still held by its fd) are new too.
    expect(leaked.map((s) => s.state).sort()).toEqual(['CLOSE_WAIT', 'FIN_WAIT2', 'LISTEN']);
    expect(describeSocket(closeWait)).toContain('CLOSE_WAIT');
  });

  it('names nothing once everything opened since the baseline is closed', async () => {
    const since = socketBaseline();
    const p = await tcpPair();
    await p.close();
    await until(() => leakedSockets({ since }).length === 0);
    expect(leakedSockets({ since })).toEqual([]);
  });

  it('with closing: true also names the TIME_WAIT a clean close leaves, with its timer', async () => {
    const since = socketBaseline();
    const p = await tcpPair();
    pairs.push(p);
    const accepted = p.server.remotePort;
    p.server.end(); // the server closes first: its end waits in TIME_WAIT
    await once(p.client, 'end');
    p.client.end();
    await once(p.server, 'close');
    // The server's end, found by its port: when the FINs cross (a simultaneous close, which
    // Node's timing sometimes makes of this) the client's end waits in TIME_WAIT too.
    const serverEnd = (s: { state: string; localPort: number }) => s.state === 'TIME_WAIT' && s.localPort === p.port;
    await until(() => leakedSockets({ since, closing: true }).some(serverEnd));
    const tw = leakedSockets({ since, closing: true }).find(serverEnd)!;
    expect(tw).toMatchObject({ attribution: 'listener', localPort: p.port, remotePort: accepted, timer: 'time-wait' });
    expect(tw.timerMs).toBeGreaterThan(50_000);
    // Without it, only sockets still held by an fd count: the listener, once Node has closed
    // the client's fd.
    await until(() => leakedSockets({ since }).length === 1);
    expect(leakedSockets({ since }).map((s) => s.state)).toEqual(['LISTEN']);
  });

  it('refuses options it cannot use', () => {
    expect(() => leakedSockets('x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => leakedSockets({ since: {} as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(messageOf(() => leakedSockets('x' as never))).toContain(
      `The "options" argument must be of type object. Received type string ('x')`,
    );
    expect(() => leakedSockets({ closing: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('expectNoLeakedSockets', () => {
  it('throws an AssertionError naming each socket left behind, then moves its mark', async () => {
    markSockets();
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      let error: unknown;
      try {
        expectNoLeakedSockets();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AssertionError);
      expect(error).toMatchObject({ code: 'ERR_ASSERTION', operator: 'expectNoLeakedSockets' });
      expect((error as AssertionError).actual).toHaveLength(1);
      // Reported once: the next check compares with what this one saw.
      expect(() => expectNoLeakedSockets()).not.toThrow();
    } finally {
      server.close();
    }
  });

  it('markSockets() moves the mark: what was open before it is not a leak', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      markSockets();
      expect(() => expectNoLeakedSockets()).not.toThrow();
      expect(leakedSockets()).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('a check with `since` does not move the mark: the next check without it still names the socket', async () => {
    markSockets();
    const since = socketBaseline();
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      expect(() => expectNoLeakedSockets({ since })).toThrow(AssertionError);
      expect(() => expectNoLeakedSockets()).toThrow(AssertionError);
      // That check moved it: once named, a leak is not named again.
      expect(() => expectNoLeakedSockets()).not.toThrow();
    } finally {
      server.close();
    }
  });

  it('with `since` compares with that baseline and leaves the mark alone', async () => {
    const since = socketBaseline({ closing: false });
    markSockets();
    const p = await tcpPair();
    pairs.push(p);
    expect(() => expectNoLeakedSockets({ since })).toThrow(AssertionError);
    expect(() => expectNoLeakedSockets({ since })).toThrow(AssertionError);
    await p.close();
    pairs = [];
    await until(() => leakedSockets({ since }).length === 0);
    expect(() => expectNoLeakedSockets()).not.toThrow();
  });
});

// The recipe of docs/sockets.md, as a suite would use it: each test cleans up, so every check passes.
describe('the afterEach recipe', () => {
  beforeEach(() => markSockets());
  afterEach(() => expectNoLeakedSockets());

  it('a test that closes what it opened', async () => {
    const p = await tcpPair();
    await p.close();
  });

  it('a test that opens nothing', () => {
    expect(1).toBe(1);
  });
});

describe('what a leak check prints and keeps', () => {
  it('one line per socket: state, ends (IPv6 in brackets), holder, timer, idle time, queues', async () => {
    for (const host of ['127.0.0.1', '::1'] as const) {
      const since = socketBaseline();
      const p = await tcpPair(host);
      pairs.push(p);
      p.client.write('abc');
      await until(() =>
        leakedSockets({ since }).some(
          (s) => s.localPort === p.server.localPort && s.remotePort === p.server.remotePort && s.unread === 3,
        ),
      );
      const at = (port: number) => (host === '::1' ? `[::1]:${port}` : `127.0.0.1:${port}`);
      const leaked = leakedSockets({ since });
      const listen = leaked.find((s) => s.state === 'LISTEN')!;
      expect(describeSocket(listen)).toBe(
        `LISTEN listening on ${at(p.port)}, held by an fd of this process, no timer, 0 waiting for accept()`,
      );
      const server = leaked.find((s) => s.state === 'ESTABLISHED' && s.localPort === p.port)!;
      const info = server.tcpInfo!;
      const idle = Math.min(info.lastDataSentMs, info.lastDataRecvMs, info.lastAckRecvMs);
      expect(describeSocket(server)).toBe(
        `ESTABLISHED ${at(p.port)} → ${at(p.server.remotePort!)}, held by an fd of this process, ` +
          `no timer, idle ${idle} ms, 3 bytes unread, 0 queued to send`,
      );
    }
  });

  it('the TIME_WAIT of a clean close: its holder and timer, and no queues', async () => {
    const since = socketBaseline();
    const p = await tcpPair();
    pairs.push(p);
    const clientPort = p.client.localPort!;
    p.client.end(); // the client closes first: its end waits in TIME_WAIT, found through the listener it connected to
    await once(p.server, 'end');
    p.server.end();
    await once(p.client, 'close');
    const isClient = (s: { localPort: number; state: string }) => s.localPort === clientPort && s.state === 'TIME_WAIT';
    await until(() => leakedSockets({ since, closing: true }).some(isClient));
    const tw = leakedSockets({ since, closing: true }).find(isClient)!;
    expect(describeSocket(tw)).toMatch(
      new RegExp(
        `^TIME_WAIT 127\\.0\\.0\\.1:${clientPort} → 127\\.0\\.0\\.1:${p.port}, no fd: the connecting end of a connection to a ` +
          `listener of this process, time-wait timer fires in \\d+ ms$`,
      ),
    );
    // A baseline taken now holds it among the closing sockets, by cookie, and not among the fds;
    // the fd-held ones (the listener) only by inode.
    const baseline = socketBaseline();
    expect(baseline.closing!.has(tw.cookie)).toBe(true);
    expect(baseline.inodes.has(tw.inode)).toBe(false);
    const all = leakedSockets({ since: EMPTY_BASELINE, closing: true });
    for (const made of [baseline, baselineOf(all)]) {
      expect([...made.inodes].sort()).toEqual(
        all
          .filter((s) => s.attribution === 'fd')
          .map((s) => s.inode)
          .sort(),
      );
      expect([...made.closing!].sort()).toEqual(
        all
          .filter((s) => s.attribution !== 'fd')
          .map((s) => s.cookie)
          .sort(),
      );
    }
    expect(leakedSockets({ since: baseline, closing: true }).some(isClient)).toBe(false);
    // Without `closing`, the default, it is not named at all.
    expect(leakedSockets({ since }).some(isClient)).toBe(false);
    // A baseline without cookies (closing: false) counts every closing socket as new.
    expect(leakedSockets({ since: socketBaseline({ closing: false }), closing: true }).some(isClient)).toBe(true);
    // The catalog names one connection by its two ports.
    expect(leakNamed(clientPort, p.port)).toBeUndefined(); // no fd holds it: not a leak of an fd
    expect(leakNamed(p.port, 0)).toMatchObject({ state: 'LISTEN', localPort: p.port });
    expect(leakNamed(p.port, 1)).toBeUndefined();
    expect(leakNamed(1, 0)).toBeUndefined();
  });

  it("a baseline without closing holds every socket fd's inode (TCP and others) and no cookies", async () => {
    const p = await tcpPair();
    pairs.push(p);
    const quick = socketBaseline({ closing: false });
    const full = socketBaseline();
    expect(quick.closing).toBeUndefined();
    // The full one names the TCP sockets the kernel's table has for this process's fds.
    expect(full.inodes.size).toBeGreaterThanOrEqual(3);
    expect([...full.inodes].filter((inode) => !quick.inodes.has(inode))).toEqual([]);
    expect(full.closing).toBeInstanceOf(Set);
    expect(quick.takenAt).toBeLessThanOrEqual(full.takenAt);
    expect(quick.takenAt).toBeGreaterThan(0);
  });

  it('takes only a baseline socketBaseline() could have made', () => {
    const ok = { inodes: new Set<number>(), closing: undefined, takenAt: 0 };
    expect(leakedSockets({ since: ok })).toEqual(expect.any(Array));
    expect(leakedSockets({ since: { ...ok, closing: new Set<bigint>() } })).toEqual(expect.any(Array));
    for (const bad of [
      null,
      { ...ok, inodes: [] },
      { ...ok, takenAt: '0' },
      { ...ok, closing: [] },
      { inodes: new Set<number>() },
    ]) {
      expect(() => leakedSockets({ since: bad as never }), JSON.stringify(bad)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_TYPE',
          message: expect.stringMatching(
            /^The "options\.since" argument must be a SocketBaseline from socketBaseline\(\)\. Received /,
          ),
        }),
      );
    }
    expect(messageOf(() => socketBaseline('x' as never))).toContain(
      `The "options" argument must be of type object. Received type string ('x')`,
    );
    expect(() => socketBaseline({ closing: 'yes' as never })).toThrow(
      expect.objectContaining({
        message: `The "options.closing" argument must be of type boolean. Received type string ('yes')`,
      }),
    );
    expect(messageOf(() => leakedSockets('x' as never))).toContain(
      `The "options" argument must be of type object. Received type string ('x')`,
    );
    expect(() => leakedSockets({ closing: 1 as never })).toThrow(
      expect.objectContaining({ message: 'The "options.closing" argument must be of type boolean. Received type number (1)' }),
    );
  });

  it('the failure lists each socket on its own line under a count', async () => {
    markSockets();
    const a = net.createServer().listen(0, '127.0.0.1');
    const b = net.createServer().listen(0, '127.0.0.1');
    await Promise.all([once(a, 'listening'), once(b, 'listening')]);
    try {
      let error: AssertionError | undefined;
      try {
        expectNoLeakedSockets();
      } catch (e) {
        error = e as AssertionError;
      }
      const lines = error!.message.split('\n');
      expect(lines[0]).toBe('2 TCP sockets left behind:');
      expect(lines.slice(1).sort()).toEqual(
        [a, b].map((s) => `  ${describeSocket(leakedSocketOn((s.address() as net.AddressInfo).port))}`).sort(),
      );
      expect(error!.actual).toEqual(lines.slice(1).map((l) => l.slice(2)));
      expect(error!.expected).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
    markSockets();
    const c = net.createServer().listen(0, '127.0.0.1');
    await once(c, 'listening');
    try {
      expect(() => expectNoLeakedSockets()).toThrow(/^1 TCP socket left behind:\n {2}LISTEN /);
    } finally {
      c.close();
    }
  });
});

function leakedSocketOn(port: number) {
  return leakedSockets({ since: { inodes: new Set(), closing: undefined, takenAt: 0 } }).find((s) => s.localPort === port)!;
}
