import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { canKill, kill, socketCookie, systemError } from '../src/index.js';
import { explain as explainKill, probeFailure } from '../src/raw/kill.js';
import { HOW_TO_GET_CAP_NET_ADMIN } from '../src/controls/errors.js';
import { HOSTS, nextError, tcpPair, type TcpPair, messageOf } from './helpers.js';

const probe = canKill();
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;
if (!probe.ok) console.log(`kill tests skipped: ${probe.code}: ${probe.reason}`);

let pairs: TcpPair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});
async function newPair(host: (typeof HOSTS)[number] = '127.0.0.1'): Promise<TcpPair> {
  const p = await tcpPair(host);
  pairs.push(p);
  return p;
}

const ss = spawnSync('ss', ['-V'], { encoding: 'utf8', timeout: 10_000 });

/** Destroys the client end of a fresh connection with iproute2's `ss -K`: true if it died ECONNABORTED. */
async function ssCanKill(): Promise<boolean> {
  const p = await newPair();
  const error = nextError(p.client, 2_000).catch(() => undefined);
  const local = `127.0.0.1:${p.client.localPort}`;
  spawnSync('ss', ['-K', '-t', 'src', local, 'dst', `127.0.0.1:${p.port}`], { encoding: 'utf8', timeout: 10_000 });
  return (await error)?.code === 'ECONNABORTED';
}

describe('canKill', () => {
  it('answers from the running kernel: ok, or EPERM / EOPNOTSUPP with a reason', () => {
    if (probe.ok) expect(probe).toEqual({ ok: true });
    else expect(['EPERM', 'EOPNOTSUPP', 'ENOENT', 'ENETUNREACH']).toContain(probe.code);
  });

  // A probe that fails for a bug of its own (a request the kernel does not match answers
  // ENOENT, like a kernel without the TCP handler) would skip every kill test as if the feature
  // were missing: where `ss -K` destroys a socket, the probe must say ok, and the reverse.
  it.skipIf(ss.status !== 0)('agrees with iproute2: ok exactly where `ss -K` destroys a connection', async () => {
    const other = await ssCanKill();
    console.log(`ss -K: ${other ? 'destroyed the connection' : 'did not'}; canKill: ${probe.ok ? 'ok' : probe.code}`);
    expect(probe.ok).toBe(other);
  });
});

describe('socketCookie', () => {
  it.each(HOSTS)('is a distinct, stable bigint per kernel socket (%s)', async (host) => {
    const a = await newPair(host);
    const cookies = [socketCookie(a.client), socketCookie(a.server), socketCookie(a.listener)];
    for (const c of cookies) expect(typeof c).toBe('bigint');
    expect(new Set(cookies).size).toBe(3);
    expect(socketCookie(a.client)).toBe(cookies[0]);
  });
});

describe.skipIf(!probe.ok).each(HOSTS)(`kill on %s${skipReason}`, (host) => {
  it("the owner's net.Socket emits ECONNABORTED, the peer's ECONNRESET", async () => {
    const p = await newPair(host);
    const owner = nextError(p.client);
    const peer = nextError(p.server);
    // Not events.once: it rejects on the 'error' that comes first.
    const ownerClosed = new Promise<boolean>((resolve) => p.client.once('close', resolve));
    kill(p.client);
    const [ownerError, peerError, hadError] = await Promise.all([owner, peer, ownerClosed]);
    console.log(
      `[${host}] kill(client): owner ${ownerError.code}/${ownerError.syscall}, peer ${peerError.code}/${peerError.syscall}`,
    );
    expect(ownerError).toMatchObject({ code: 'ECONNABORTED', errno: -103, syscall: 'read' });
    expect(peerError).toMatchObject({ code: 'ECONNRESET', errno: -104, syscall: 'read' });
    expect(hadError).toBe(true);
  });

  it('works on the accepted side too', async () => {
    const p = await newPair(host);
    const owner = nextError(p.server);
    const peer = nextError(p.client);
    kill(p.server);
    expect(await owner).toMatchObject({ code: 'ECONNABORTED', syscall: 'read' });
    expect(await peer).toMatchObject({ code: 'ECONNRESET', syscall: 'read' });
  });

  it('hits only the socket it was given: another connection on the same listener lives on', async () => {
    const p = await newPair(host);
    const other = net.connect({ host, port: p.port });
    const [accepted] = (await once(p.listener, 'connection')) as [net.Socket];
    if (!other.remotePort) await once(other, 'connect');
    const owner = nextError(p.client);
    const peer = nextError(p.server);
    kill(p.client);
    await Promise.all([owner, peer]);
    const echoed = once(accepted, 'data');
    other.write('still here');
    expect(String((await echoed)[0])).toBe('still here');
    other.destroy();
    accepted.destroy();
  });

  it('a socket the kernel already killed: ENOTCONN from getpeername; once Node closed it: ERR_SOCKET_CLOSED', async () => {
    const p = await newPair(host);
    const owner = nextError(p.client);
    const peer = nextError(p.server);
    kill(p.client);
    // Node has not run its read callback yet: the fd is open, the kernel socket is dead.
    expect(() => kill(p.client)).toThrow(expect.objectContaining({ code: 'ENOTCONN', errno: -107, syscall: 'getpeername' }));
    await Promise.all([owner, peer]);
    expect(() => kill(p.client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});

describe.skipIf(!probe.ok)(`kill on an IPv6 socket with IPv4-mapped addresses${skipReason}`, () => {
  it('an IPv4 client accepted by an IPv6 listener (::ffff:127.0.0.1) is found and destroyed', async () => {
    const listener = net.createServer();
    listener.listen(0, '::ffff:127.0.0.1');
    await once(listener, 'listening');
    try {
      const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
      const client = net.connect({ host: '127.0.0.1', port: (listener.address() as net.AddressInfo).port });
      const [[server]] = await Promise.all([accepted, once(client, 'connect')]);
      expect(server.localAddress).toBe('::ffff:127.0.0.1');
      const owner = nextError(server);
      const peer = nextError(client);
      kill(server);
      expect(await owner).toMatchObject({ code: 'ECONNABORTED', syscall: 'read' });
      expect(await peer).toMatchObject({ code: 'ECONNRESET', syscall: 'read' });
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });
});

// The exactness of kill() rests on the kernel checking idiag_cookie. Another program (Python)
// sends SOCK_DESTROY for the same 4-tuple, first with a wrong cookie, then with SO_COOKIE.
const DESTROYER = String.raw`
import socket, struct, sys
fam, src, sport, dst, dport, cookie = sys.argv[1:7]
fam = socket.AF_INET if fam == '4' else socket.AF_INET6
def addr(a):
    raw = socket.inet_pton(fam, a)
    return raw + b'\0' * (16 - len(raw))
cookie = int(cookie)
sockid = struct.pack('!HH', int(sport), int(dport)) + addr(src) + addr(dst) + struct.pack('=III', 0, cookie & 0xffffffff, cookie >> 32)
body = struct.pack('=BBBBI', fam, socket.IPPROTO_TCP, 0, 0, 0xffffffff) + sockid
SOCK_DESTROY, NLM_F_REQUEST, NLM_F_ACK = 21, 1, 4
msg = struct.pack('=IHHII', 16 + len(body), SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, 1, 0) + body
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
nl.sendto(msg, (0, 0))
answer = nl.recv(4096)
print(-struct.unpack('=i', answer[16:20])[0])
`;

function destroyFromOutside(socket: net.Socket, cookie: bigint): number {
  const out = spawnSync(
    'python3',
    [
      '-c',
      DESTROYER,
      socket.localFamily === 'IPv4' ? '4' : '6',
      socket.localAddress!,
      String(socket.localPort),
      socket.remoteAddress!,
      String(socket.remotePort),
      String(cookie),
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (out.status !== 0) throw new Error(`python3 failed: ${out.stderr}`);
  return Number(out.stdout.trim());
}

describe.skipIf(!probe.ok).each(HOSTS)(`SOCK_DESTROY checks the cookie (%s)${skipReason}`, (host) => {
  it('a wrong cookie: ENOENT and the socket lives on; its own cookie: destroyed', async () => {
    const p = await newPair(host);
    const cookie = socketCookie(p.client);
    expect(destroyFromOutside(p.client, cookie ^ 1n)).toBe(2); // ENOENT
    const echoed = once(p.server, 'data');
    p.client.write('alive');
    expect(String((await echoed)[0])).toBe('alive');
    const owner = nextError(p.client);
    const peer = nextError(p.server);
    expect(destroyFromOutside(p.client, cookie)).toBe(0);
    expect(await owner).toMatchObject({ code: 'ECONNABORTED' });
    expect(await peer).toMatchObject({ code: 'ECONNRESET' });
  });
});

describe('kill refuses what is not a connection', () => {
  it('a net.Server: ERR_INVALID_ARG_TYPE; a socket that never connected: ERR_SOCKET_NOT_CONNECTED', async () => {
    const p = await newPair();
    expect(() => kill(p.listener as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }));
    expect(() => kill(new net.Socket())).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_NOT_CONNECTED' }));
  });
});

// What a user reads where kill cannot work (another kernel, no privilege): the same errors the
// kernel gives there, built here, since this suite's kernel and privileges answer ok.
describe('the reasons kill and canKill give', () => {
  it('canKill: one reason per errno and step', () => {
    expect(probeFailure(1, 'sock_diag')).toEqual({
      ok: false,
      code: 'EPERM',
      reason: `SOCK_DESTROY needs CAP_NET_ADMIN over the socket's network namespace. ${HOW_TO_GET_CAP_NET_ADMIN}`,
    });
    expect(probeFailure(95, 'sock_diag')).toEqual({
      ok: false,
      // errno 95: Node names it ENOTSUP (EOPNOTSUPP has the same number on Linux).
      code: 'ENOTSUP',
      reason:
        'this kernel cannot destroy sockets: it was built without CONFIG_INET_DIAG_DESTROY (SOCK_DESTROY answers ' +
        'EOPNOTSUPP, errno 95, which Node names ENOTSUP).',
    });
    expect(probeFailure(2, 'sock_diag')).toEqual({
      ok: false,
      code: 'ENOENT',
      reason:
        'the kernel has no TCP handler for sock_diag: the inet_diag / tcp_diag modules are not loaded and could not be ' +
        'loaded on demand (as root: `modprobe tcp_diag`).',
    });
    expect(probeFailure(2, 'connect')).toEqual({
      ok: false,
      code: 'ENOENT',
      reason: 'connect ENOENT: could not set up a throwaway connection on 127.0.0.1 to probe (is lo up?).',
    });
    expect(probeFailure(101, 'connect')).toEqual({
      ok: false,
      code: 'ENETUNREACH',
      reason: 'connect ENETUNREACH: could not set up a throwaway connection on 127.0.0.1 to probe (is lo up?).',
    });
    // errno 95 from a setup step is not the missing kernel option.
    expect(probeFailure(95, 'connect')).toEqual({
      ok: false,
      code: 'ENOTSUP',
      reason: 'connect ENOTSUP: could not set up a throwaway connection on 127.0.0.1 to probe (is lo up?).',
    });
    expect(probeFailure(22, 'sock_diag')).toEqual({
      ok: false,
      code: 'EINVAL',
      reason: 'sock_diag EINVAL: the kernel refused SOCK_DESTROY on a throwaway socket.',
    });
  });

  it('kill: EPERM names the capability; EOPNOTSUPP and ENOENT say what the kernel lacks; others pass as they are', () => {
    const eperm = explainKill(systemError(1, 'sock_diag')) as Error & { missing?: string };
    expect(eperm.message).toBe(
      `sock_diag EPERM: SOCK_DESTROY needs CAP_NET_ADMIN over the socket's network namespace. ${HOW_TO_GET_CAP_NET_ADMIN}`,
    );
    expect(eperm.missing).toBe('CAP_NET_ADMIN');
    expect((explainKill(systemError(95, 'sock_diag')) as Error).message).toBe(
      'sock_diag ENOTSUP: this kernel cannot destroy sockets: it was built without CONFIG_INET_DIAG_DESTROY (SOCK_DESTROY ' +
        'answers EOPNOTSUPP, errno 95, which Node names ENOTSUP).',
    );
    expect((explainKill(systemError(2, 'sock_diag')) as Error).message).toBe(
      'sock_diag ENOENT: no socket with this 4-tuple and cookie in this network namespace, or the kernel has no TCP handler ' +
        'for sock_diag: the inet_diag / tcp_diag modules are not loaded and could not be loaded on demand (as root: ' +
        '`modprobe tcp_diag`). canKill() tells which.',
    );
    expect((explainKill(systemError(22, 'sock_diag')) as Error).message).toBe('sock_diag EINVAL');
    expect((explainKill(systemError(2, 'getpeername')) as Error).message).toBe('getpeername ENOENT');
    expect((explainKill(systemError(107, 'getpeername')) as Error).message).toBe('getpeername ENOTCONN');
    expect(explainKill({ code: 'ENOENT', syscall: 'sock_diag' })).toEqual({ code: 'ENOENT', syscall: 'sock_diag' });
  });

  it('abort and kill name the refused listener the same way', async () => {
    const p = await newPair();
    expect(messageOf(() => kill(p.listener as never))).toContain(
      'The "socket" argument must be a connection, not a net.Server. Received an instance of Server',
    );
  });
});
