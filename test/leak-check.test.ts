// The leak check of sockctl/testing on real leaks: a CLOSE_WAIT the application never closes, a
// listener left open, TIME_WAIT after a clean close (named only when asked for).
import { once } from 'node:events';
import net from 'node:net';
import { AssertionError } from 'node:assert';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeSocket, expectNoLeakedSockets, leakedSockets, markSockets, socketBaseline } from '../src/testing.js';
import { tcpPair, until, type TcpPair } from './helpers.js';

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
