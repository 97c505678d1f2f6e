import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { constants as osConstants } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  blackhole,
  canBlackhole,
  constants,
  queues,
  setKeepAlive,
  setOption,
  setUserTimeout,
  tcpInfo,
  unblackhole,
} from '../src/index.js';
import { fdOf } from '../src/controls/handle.js';
import { HOSTS, nextError, tcpPair, until, type TcpPair } from './helpers.js';

const probe = canBlackhole();
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;
if (!probe.ok) console.log(`blackhole tests skipped: ${probe.code}: ${probe.reason}`);

let pair: TcpPair | undefined;
const extra: Array<net.Socket | net.Server> = [];
afterEach(async () => {
  await pair?.close();
  pair = undefined;
  for (const item of extra.splice(0)) {
    if (item instanceof net.Socket) item.destroy();
    else await new Promise<void>((resolve) => item.close(() => resolve()));
  }
});

// Another program attaches the same drop-all program (`ret #0`) to a TCP socket of its own:
// Python's setsockopt, with struct sock_fprog packed by hand. Prints 'ok' or the errno.
const ATTACH_ELSEWHERE = String.raw`
import ctypes, socket, struct
code = ctypes.create_string_buffer(struct.pack('HBBI', 0x06, 0, 0, 0))
prog = struct.pack('HL', 1, ctypes.addressof(code))
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.setsockopt(socket.SOL_SOCKET, 26, prog)
    print('ok')
except OSError as e:
    print(e.errno)
`;
const elsewhere = spawnSync('python3', ['-c', ATTACH_ELSEWHERE], { encoding: 'utf8', timeout: 10_000 });

describe('canBlackhole', () => {
  it('answers from the running kernel: ok, or a code and a reason naming CAP_NET_ADMIN', () => {
    if (probe.ok) {
      expect(probe).toEqual({ ok: true });
    } else {
      expect(probe.code).toBe('EPERM');
      expect(probe.reason).toContain('CAP_NET_ADMIN');
    }
  });

  // A probe that fails for a bug of its own would skip every blackhole test as if privilege were
  // missing: where another program can attach the filter, the probe must say ok, and the reverse.
  it.skipIf(elsewhere.status !== 0)('agrees with another program attaching the same filter (python3 setsockopt)', () => {
    const other = elsewhere.stdout.trim();
    console.log(
      `python3 SO_ATTACH_FILTER on a TCP socket: ${other === 'ok' ? 'ok' : `errno ${other}`}; canBlackhole: ${probe.ok ? 'ok' : probe.code}`,
    );
    expect(probe.ok).toBe(other === 'ok');
    if (!probe.ok) expect(Number(other)).toBe(osConstants.errno[probe.code as keyof typeof osConstants.errno]);
  });
});

describe.skipIf(!probe.ok).each(HOSTS)(`blackhole on %s${skipReason}`, (host) => {
  it('user timeout 500 ms on the writer, peer silenced → ETIMEDOUT well under 3 s', async () => {
    pair = await tcpPair(host);
    setUserTimeout(pair.client, 500);
    blackhole(pair.server);
    const error = nextError(pair.client, 5_000);
    const start = performance.now();
    pair.client.write('hello');
    const seen = await error;
    const ms = Math.round(performance.now() - start);
    console.log(`[${host}] user timeout 500 ms → ${seen.code} (syscall ${seen.syscall}) after ${ms} ms`);
    expect(seen).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'read' });
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(3_000);
  });

  it('keepalive 1 s / 1 s / 2 against a silenced peer → ETIMEDOUT at about 3 s', async () => {
    pair = await tcpPair(host);
    blackhole(pair.server);
    const error = nextError(pair.client, 10_000);
    const start = performance.now();
    setKeepAlive(pair.client, { idle: 1_000, interval: 1_000, count: 2 });
    const seen = await error;
    const ms = Math.round(performance.now() - start);
    console.log(`[${host}] keepalive 1/1/2 → ${seen.code} (syscall ${seen.syscall}) after ${ms} ms`);
    expect(seen).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'read' });
    expect(ms).toBeGreaterThanOrEqual(2_500);
    expect(ms).toBeLessThan(6_000);
  });

  // libuv creates the kernel socket inside connect(); the SYN is out before an option can be
  // set, which is fine: the kernel reads the user timeout and TCP_SYNCNT each time the SYN
  // timer fires.
  async function connectToBlackholedListener(tune: (client: net.Socket) => void) {
    const listener = net.createServer();
    extra.push(listener);
    listener.listen(0, host);
    await once(listener, 'listening');
    blackhole(listener);
    const start = performance.now();
    const client = net.connect({ host, port: (listener.address() as net.AddressInfo).port });
    extra.push(client);
    const error = nextError(client, 8_000);
    await until(() => {
      try {
        return fdOf(client) >= 0;
      } catch {
        return false;
      }
    }, 1_000);
    tune(client);
    const seen = await error;
    return { seen, ms: Math.round(performance.now() - start) };
  }

  it('connect to a blackholed listener with user timeout 700 ms → connect ETIMEDOUT', async () => {
    const { seen, ms } = await connectToBlackholedListener((client) => setUserTimeout(client, 700));
    console.log(`[${host}] connect to blackholed listener, user timeout 700 ms → ${seen.code} after ${ms} ms`);
    expect(seen).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'connect' });
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(3_000);
  });

  it('connect to a blackholed listener with TCP_SYNCNT 1 → connect ETIMEDOUT at about 3 s', async () => {
    const { seen, ms } = await connectToBlackholedListener((client) =>
      setOption(client, constants.IPPROTO_TCP, constants.TCP_SYNCNT, 1),
    );
    console.log(`[${host}] connect to blackholed listener, TCP_SYNCNT 1 → ${seen.code} after ${ms} ms`);
    expect(seen).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'connect' });
    expect(ms).toBeGreaterThanOrEqual(2_500);
    expect(ms).toBeLessThan(6_000);
  });

  it('unblackhole lets the retransmitted segment through', async () => {
    pair = await tcpPair(host);
    blackhole(pair.server);
    pair.client.write('x');
    // Dropped: the writer retransmits and the reader's queue stays empty.
    await until(() => (tcpInfo(pair!.client).totalRetrans ?? 0) >= 1, 3_000);
    expect(queues(pair.server).unread).toBe(0);
    expect(tcpInfo(pair.client).unacked).toBe(1);
    const data = once(pair.server, 'data');
    unblackhole(pair.server);
    const [chunk] = (await Promise.race([
      data,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no data within 5 s')), 5_000)),
    ])) as [Buffer];
    expect(chunk.toString()).toBe('x');
    await until(() => tcpInfo(pair!.client).unacked === 0);
    expect(tcpInfo(pair.client).state).toBe('ESTABLISHED');
  });

  it('unblackhole without a filter fails ENOENT; blackhole twice just replaces it', async () => {
    pair = await tcpPair(host);
    expect(() => unblackhole(pair!.server)).toThrow(
      expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'setsockopt', option: 'SO_DETACH_FILTER' }),
    );
    blackhole(pair.server);
    blackhole(pair.server);
    unblackhole(pair.server);
    expect(() => unblackhole(pair!.server)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('blackhole refuses what it cannot hold', () => {
  it('a destroyed socket: ERR_SOCKET_CLOSED; a stopped server: ERR_SERVER_NOT_RUNNING', async () => {
    pair = await tcpPair();
    pair.server.destroy();
    expect(() => blackhole(pair!.server)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    expect(() => unblackhole(pair!.server)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
    const stopped = net.createServer();
    expect(() => blackhole(stopped)).toThrow(expect.objectContaining({ code: 'ERR_SERVER_NOT_RUNNING' }));
  });
});
