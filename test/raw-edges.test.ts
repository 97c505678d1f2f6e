// RawSocket and the raw helpers at their edges: what a mutation run found reached by no failing
// test — the trace's fields and clock, a refused connect releasing its socket, a connect
// cancelled by close, unwrap's checks, the probes' answers, the namespace helpers' arguments.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canBlackhole, canKill, loopbackUp, netnsCommand, RawSocket, unwrap, type TraceEntry } from '../src/index.js';
import { native } from '../src/controls/native.js';
import { isRoot, NOBODY, stageForNobody } from './nobody.js';

const ROOT_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

describe('RawSocket trace', () => {
  it('is off by default, fresh with true, shared with an array; entries carry detail, result and state', async () => {
    const none = RawSocket.create(4);
    const off = RawSocket.create(4, { trace: false });
    expect([none.trace, off.trace]).toEqual([undefined, undefined]);
    none.close();
    off.close();
    const own = RawSocket.create(6, { trace: true });
    expect(own.trace).toEqual([expect.objectContaining({ syscall: 'socket', detail: 'AF_INET6', ok: true, result: own.fd })]);
    own.close();

    const trace: TraceEntry[] = [];
    const { socket: listener, address } = unwrap(await RawSocket.listen({ trace }));
    const { socket: client } = unwrap(await RawSocket.connect({ host: '127.0.0.1', port: address.port, trace }));
    const { socket: server } = unwrap(await listener.accept());
    client.close();
    server.close();
    listener.close();
    expect(trace[0]).toMatchObject({ syscall: 'socket', detail: 'AF_INET', ok: true });
    // One clock for the array, starting at its first socket: times are small and never go back.
    expect(trace[0].at).toBeGreaterThanOrEqual(0);
    expect(trace[0].at).toBeLessThan(1_000);
    for (let i = 1; i < trace.length; i++) expect(trace[i].at).toBeGreaterThanOrEqual(trace[i - 1].at);
    const soError = trace.find((e) => e.syscall === 'getsockopt');
    expect(soError).toMatchObject({ detail: 'SO_ERROR=0', ok: true, result: 0, state: 'ESTABLISHED' });
    const accepted = trace.find((e) => e.syscall === 'accept' && e.ok);
    expect(accepted).toMatchObject({ fd: expect.any(Number), state: 'LISTEN' });
    const closes = trace.filter((e) => e.syscall === 'close');
    expect(closes).toHaveLength(3);
    for (const c of closes) expect('state' in c).toBe(false); // a closed socket has no state to read
    expect(trace.every((e) => e.ok === (e.errno === undefined))).toBe(true);
  });
});

describe('RawSocket.connect', () => {
  it('refused: the socket it made is closed again', async () => {
    const { socket: holder, address } = unwrap(await RawSocket.listen());
    holder.close(); // the port is free again: nothing listens
    const owned = native.rawIo.ownedCount();
    expect(await RawSocket.connect({ host: '127.0.0.1', port: address.port })).toMatchObject({
      ok: false,
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    expect(native.rawIo.ownedCount()).toBe(owned);
  });

  it('closed while the handshake waits: cancelled, with the first answer', async () => {
    // A listener with a full accept queue leaves the next connect in SYN_SENT.
    const { socket: listener, address } = unwrap(await RawSocket.listen({ backlog: 0 }));
    const fillers: RawSocket[] = [];
    try {
      let stalled: RawSocket | undefined;
      for (let i = 0; i < 5 && !stalled; i++) {
        const socket = RawSocket.create(4);
        fillers.push(socket);
        const pending = socket.connect('127.0.0.1', address.port, { timeout: 5_000 });
        const quick = await Promise.race([
          pending,
          new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 200)),
        ]);
        if (quick === 'waiting') {
          stalled = socket;
          socket.close();
          expect(await pending).toEqual({ ok: false, errno: -115, code: 'EINPROGRESS', syscall: 'connect', cancelled: true });
        }
      }
      expect(stalled).toBeDefined();
    } finally {
      for (const s of fillers) if (!s.closed) s.close();
      listener.close();
    }
  });
});

describe('unwrap checks what it is given', () => {
  it('a failure needs a negative numeric errno and a syscall; a plain failure has no timedOut or cancelled', () => {
    const type = expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(() => unwrap({ ok: false, errno: 0, code: 'X', syscall: 'recv' })).toThrow(type);
    expect(() => unwrap({ ok: false, errno: '-5' as unknown as number, code: 'X', syscall: 'recv' })).toThrow(type);
    expect(() => unwrap({ ok: false, errno: -5, code: 'X', syscall: 5 as unknown as string })).toThrow(type);
    expect(() => unwrap({ ok: 'no' } as never)).toThrow(type);
    const plain = (() => {
      try {
        unwrap({ ok: false, errno: -104, code: 'ECONNRESET', syscall: 'recv' });
      } catch (e) {
        return e as object;
      }
    })();
    expect(plain).toMatchObject({ code: 'ECONNRESET', errno: -104, syscall: 'recv' });
    expect(plain && ('timedOut' in plain || 'cancelled' in plain)).toBe(false);
  });
});

describe('probes, asked inside the test', () => {
  it('canKill and canBlackhole answer ok, or not ok with a code and a reason', () => {
    for (const probe of [canKill(), canBlackhole()]) {
      if (probe.ok) expect(probe).toEqual({ ok: true });
      else expect(probe).toEqual({ ok: false, code: expect.stringMatching(/^E[A-Z]+$/), reason: expect.any(String) });
    }
  });

  it('loopbackUp: lo already up is left alone (no ioctl, so no privilege needed); down, it needs CAP_NET_ADMIN', () => {
    // IFF_UP is bit 0 of the flags sysfs shows for this network namespace's lo.
    const up = (Number.parseInt(readFileSync('/sys/class/net/lo/flags', 'utf8'), 16) & 1) === 1;
    if (up || canBlackhole().ok) {
      expect(() => loopbackUp()).not.toThrow();
      expect(Number.parseInt(readFileSync('/sys/class/net/lo/flags', 'utf8'), 16) & 1).toBe(1);
    } else {
      expect(() => loopbackUp()).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'ioctl', request: 'SIOCSIFFLAGS' }));
    }
  });
});

// The EPERM path needs lo down and no CAP_NET_ADMIN: root makes a fresh network namespace (lo
// starts down there) and drops to uid 65534 inside it, which then runs the built library.
const built = existsSync(path.join(ROOT_DIR, 'dist', 'index.js'));
const stage = isRoot && built ? stageForNobody() : undefined;
afterAll(() => stage?.remove());
const noDown = !isRoot ? 'needs root of the initial user namespace' : !built ? 'dist/ not built' : (stage?.unreadable ?? '');

describe('loopbackUp on a lo that is down', () => {
  it.skipIf(noDown)(
    `as uid 65534 in a fresh network namespace: EPERM from SIOCSIFFLAGS, lo stays down${noDown ? ` (skipped: ${noDown})` : ''}`,
    () => {
      const script = `const s = require(${JSON.stringify(path.join(stage?.root ?? '', 'dist', 'index.js'))});
      const flags = () => Number.parseInt(require('node:fs').readFileSync('/sys/class/net/lo/flags', 'utf8'), 16);
      let error = null;
      try { s.loopbackUp(); } catch (e) { error = { code: e.code, syscall: e.syscall, request: e.request }; }
      console.log(JSON.stringify({ error, up: (flags() & 1) === 1 }));`;
      // sysfs shows the namespace it was mounted in: a fresh mount namespace mounts it anew.
      const out = spawnSync(
        'unshare',
        [
          '-n',
          '-m',
          '--',
          'sh',
          '-c',
          'mount -t sysfs sysfs /sys && exec setpriv "$@"',
          'sh',
          ...NOBODY,
          process.execPath,
          '-e',
          script,
        ],
        { encoding: 'utf8', timeout: 20_000, cwd: '/' },
      );
      expect(out.status, out.stderr).toBe(0);
      expect(JSON.parse(out.stdout)).toEqual({ error: { code: 'EPERM', syscall: 'ioctl', request: 'SIOCSIFFLAGS' }, up: false });
    },
  );
});

describe('netnsCommand arguments', () => {
  it('args default to none; every arg must be a string; unshare must be a non-empty string', () => {
    expect(netnsCommand('true').args.slice(-1)).toEqual(['true']);
    const type = expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(() => netnsCommand('x', ['a', 1 as unknown as string])).toThrow(type);
    expect(() => netnsCommand('x', [], '')).toThrow(type);
    expect(() => netnsCommand('x', [], 5 as unknown as string)).toThrow(type);
    expect(netnsCommand('x', [], '/usr/bin/unshare').command).toBe('/usr/bin/unshare');
  });
});
