// The privileged features as an unprivileged user: once as uid 65534 on the host (the kernel
// refuses, and the errors say why), once as uid 65534 inside the namespace runInNetns() makes
// (the kernel's real timeouts and kill work). The children run the built library (dist/, which
// `npm test` builds first) through test/fixtures/privilege-child.cjs — as uid 65534 from a copy
// in the temp dir (nobody.ts), since the clone may sit where that uid cannot enter.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { canUseNetns, netnsCommand, runInNetns, type ProbeResult } from '../src/index.js';
import { NETNS_EXEC } from '../src/raw/userns.js';
import { NOBODY, privileges, stageForNobody } from './nobody.js';
import { messageOf } from './helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'netns-cli.js');
const CHILD_TIMEOUT_MS = 30_000;
const built = existsSync(path.join(ROOT, 'dist', 'index.js'));
const { isRoot, netns, noRoot, noNetns } = privileges(canUseNetns);

// The children as uid 65534 run a readable copy (the clone may be closed to that uid).
const stage = isRoot && built ? stageForNobody(['test/fixtures/privilege-child.cjs']) : undefined;
afterAll(() => stage?.remove());
const STAGE = stage?.root ?? ROOT;
const CHILD = path.join(STAGE, 'test', 'fixtures', 'privilege-child.cjs');
const noStage = stage?.unreadable ? ` (skipped: ${stage.unreadable})` : '';
const stageReadable = !stage?.unreadable;
if (!isRoot) console.log('uid 65534 tests skipped: switching uid needs root of the initial user namespace');
if (!netns.ok) console.log(`namespace tests skipped: ${netns.reason}`);

interface Fields {
  code?: string;
  errno?: number;
  syscall?: string;
  option?: string;
  request?: string;
  missing?: string;
  ms?: number;
}
interface ChildReport {
  uid: number;
  canBlackhole: { ok: boolean; code?: string; reason?: string };
  canKill: { ok: boolean; code?: string; reason?: string };
  blackhole: Record<string, Fields & { ok?: boolean }>;
  userTimeout: Record<string, Fields>;
  kill: Record<string, Fields & { owner?: Fields; peer?: Fields }>;
}

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const out = spawnSync(command, args, { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, cwd: '/' });
  if (out.error) throw out.error;
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

function report(command: string, args: string[]): ChildReport {
  const out = run(command, args);
  // A child that cannot read the worktree or the addon fails here, with its stderr shown.
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as ChildReport;
}

describe('netnsCommand', () => {
  it('wraps the command in unshare -Urn and the script that brings lo up', () => {
    expect(netnsCommand('node', ['x.js', '--flag'])).toEqual({
      command: 'unshare',
      args: ['--user', '--map-root-user', '--net', '--', process.execPath, NETNS_EXEC, 'node', 'x.js', '--flag'],
    });
  });
});

describe.skipIf(!netns.ok || !built)(`sockctl-netns CLI${noNetns}`, () => {
  it('passes the exit status through; 127 for a missing command; 2 without one', () => {
    expect(run(process.execPath, [CLI, '--', 'sh', '-c', 'exit 7']).status).toBe(7);
    expect(run(process.execPath, [CLI, '--', '/nonexistent/sockctl-no-such-command']).status).toBe(127);
    expect(run(process.execPath, [CLI]).status).toBe(2);
    expect(run(process.execPath, [CLI, '--help']).status).toBe(0);
  });

  it('inside, lo is up and the host network is absent', () => {
    const script = "const os=require('os');console.log(JSON.stringify(Object.keys(os.networkInterfaces())))";
    const out = run(process.execPath, [CLI, '--', process.execPath, '-e', script]);
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(['lo']);
  });
});

describe.skipIf(!netns.ok || !built)(`a bare unshare -Urn, before lo is up${noNetns}`, () => {
  it('canKill says ENETUNREACH until loopbackUp(); the filter probe needs no network', () => {
    const script =
      `const s = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});` +
      'const before = s.canKill(); const filter = s.canBlackhole(); s.loopbackUp(); s.loopbackUp();' +
      'console.log(JSON.stringify({ before, filter, after: s.canKill() }))';
    const out = run('unshare', ['--user', '--map-root-user', '--net', '--', process.execPath, '-e', script]);
    expect(out.status, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout) as { before: ProbeResult; filter: ProbeResult; after: ProbeResult };
    expect(r.before).toMatchObject({ ok: false, code: 'ENETUNREACH' });
    expect(r.filter).toEqual({ ok: true });
    expect(r.after).toEqual({ ok: true });
  });
});

describe.skipIf(!isRoot || !built || !stageReadable)(`uid 65534 without a namespace${noRoot}${noStage}`, () => {
  it('the probes say EPERM and both features throw EPERM naming CAP_NET_ADMIN', () => {
    const r = report('setpriv', [...NOBODY, process.execPath, CHILD]);
    console.log(`uid ${r.uid}: canBlackhole ${JSON.stringify(r.canBlackhole.code)}, canKill ${JSON.stringify(r.canKill.code)}`);
    expect(r.uid).toBe(65534);
    expect(r.canBlackhole).toMatchObject({ ok: false, code: 'EPERM' });
    expect(r.canBlackhole.reason).toContain('CAP_NET_ADMIN');
    expect(r.canKill).toMatchObject({ ok: false, code: 'EPERM' });
    for (const host of ['127.0.0.1', '::1']) {
      expect(r.blackhole[host]).toEqual({
        name: 'Error',
        code: 'EPERM',
        errno: -1,
        syscall: 'setsockopt',
        option: 'SO_ATTACH_FILTER',
        missing: 'CAP_NET_ADMIN',
      });
      expect(r.kill[host]).toEqual({
        name: 'Error',
        code: 'EPERM',
        errno: -1,
        syscall: 'sock_diag',
        request: 'SOCK_DESTROY',
        missing: 'CAP_NET_ADMIN',
      });
      expect(r.userTimeout[host]).toBeUndefined();
    }
  });
});

describe.skipIf(!netns.ok || !built || !stageReadable)(
  `${isRoot ? 'uid 65534' : 'this user'} inside runInNetns()${noNetns}${noStage}`,
  () => {
    it('blackhole gives the real user-timeout ETIMEDOUT, kill gives ECONNABORTED / ECONNRESET', () => {
      // The built netnsCommand: its NETNS_EXEC is a .js file next to it, which src/ has not.
      const dist = createRequire(import.meta.url)(path.join(STAGE, 'dist', 'index.js')) as { netnsCommand: typeof netnsCommand };
      const argv = dist.netnsCommand(process.execPath, [CHILD]);
      const r = isRoot ? report('setpriv', [...NOBODY, argv.command, ...argv.args]) : report(argv.command, argv.args);
      console.log(
        `uid ${r.uid} in namespace: canBlackhole ${r.canBlackhole.ok}, canKill ${r.canKill.ok}, ` +
          `user timeout 500 ms → ${r.userTimeout['127.0.0.1']?.code} after ${r.userTimeout['127.0.0.1']?.ms} ms ` +
          `(::1: ${r.userTimeout['::1']?.ms} ms)`,
      );
      // uid 0 is the caller's uid mapped inside the user namespace.
      expect(r.uid).toBe(0);
      expect(r.canBlackhole).toEqual({ ok: true });
      expect(r.canKill).toEqual({ ok: true });
      for (const host of ['127.0.0.1', '::1']) {
        expect(r.blackhole[host]).toEqual({ ok: true });
        expect(r.userTimeout[host]).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'read' });
        expect(r.userTimeout[host].ms).toBeGreaterThanOrEqual(500);
        expect(r.userTimeout[host].ms).toBeLessThan(3_000);
        expect(r.kill[host].owner).toMatchObject({ code: 'ECONNABORTED', errno: -103, syscall: 'read' });
        expect(r.kill[host].peer).toMatchObject({ code: 'ECONNRESET', errno: -104, syscall: 'read' });
      }
    });
  },
);

describe('runInNetns and canUseNetns, in this process', () => {
  // A stand-in for unshare(1) that prints what it was started with, so runInNetns's own part —
  // the argv, stdio, env and cwd it hands to spawn — is checked without a namespace.
  const fakeUnshare = path.join(mkdtempSync(path.join(os.tmpdir(), 'sockctl-unshare-')), 'unshare');
  writeFileSync(fakeUnshare, '#!/bin/sh\necho "X=$X cwd=$(pwd) argv=$*"\nexit 3\n', { mode: 0o755 });
  afterAll(() => rmSync(path.dirname(fakeUnshare), { recursive: true, force: true }));

  it('spawns the unshare argv with the stdio, env and cwd given, and passes its exit code through', async () => {
    const child = runInNetns('sh', ['-c', 'true'], {
      unshare: fakeUnshare,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { X: 'y' },
      cwd: '/',
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk));
    const [code] = (await once(child, 'close')) as [number];
    expect(code).toBe(3);
    expect(out.trim()).toBe(`X=y cwd=/ argv=--user --map-root-user --net -- ${process.execPath} ${NETNS_EXEC} sh -c true`);
  });

  it("refuses bad options; a missing unshare is the child's spawn error", async () => {
    expect(() => runInNetns('sh', [], null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => runInNetns('', [])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const child = runInNetns('sh', [], { unshare: '/nonexistent/unshare', stdio: 'ignore' });
    const [error] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    expect(error).toMatchObject({ code: 'ENOENT', syscall: 'spawn /nonexistent/unshare' });
  });

  it('canUseNetns reports an unshare that cannot run, and one that fails, with a reason', () => {
    expect(canUseNetns('/nonexistent/unshare')).toEqual({
      ok: false,
      reason: '/nonexistent/unshare: spawnSync /nonexistent/unshare ENOENT',
    });
    expect(canUseNetns(fakeUnshare)).toEqual({
      ok: false,
      reason: `${fakeUnshare} -Urn failed (3): `,
    });
    const failing = path.join(path.dirname(fakeUnshare), 'failing');
    writeFileSync(
      failing,
      '#!/bin/sh\necho "  unshare: write failed /proc/self/uid_map: Operation not permitted  " >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    expect(canUseNetns(failing)).toEqual({
      ok: false,
      reason: `${failing} -Urn failed (1): unshare: write failed /proc/self/uid_map: Operation not permitted`,
    });
    expect(canUseNetns('true')).toEqual({ ok: true });
  });

  it('netnsCommand and runInNetns name what they refuse', () => {
    expect(messageOf(() => netnsCommand(''))).toBe(
      `The "command" argument must be a non-empty string. Received type string ('')`,
    );
    expect(messageOf(() => netnsCommand(5 as never))).toBe(
      'The "command" argument must be a non-empty string. Received type number (5)',
    );
    expect(messageOf(() => netnsCommand('x', 'y' as never))).toBe(
      `The "args" argument must be an array of strings. Received type string ('y')`,
    );
    expect(messageOf(() => netnsCommand('x', ['a', 1 as never]))).toBe(
      'The "args" argument must be an array of strings. Received an instance of Array',
    );
    expect(messageOf(() => netnsCommand('x', [], ''))).toBe(
      `The "unshare" argument must be a non-empty string. Received type string ('')`,
    );
    expect(messageOf(() => netnsCommand('x', [], 7 as never))).toBe(
      'The "unshare" argument must be a non-empty string. Received type number (7)',
    );
    expect(netnsCommand('x')).toEqual({
      command: 'unshare',
      args: ['--user', '--map-root-user', '--net', '--', process.execPath, NETNS_EXEC, 'x'],
    });
    expect(messageOf(() => runInNetns('x', [], 'o' as never))).toBe(
      `The "options" argument must be of type object. Received type string ('o')`,
    );
  });

  it("runInNetns by default: the caller's environment and working directory, stdio inherited", async () => {
    const dir = path.dirname(fakeUnshare);
    const quiet = path.join(dir, 'quiet');
    writeFileSync(quiet, '#!/bin/sh\necho "cwd=$(pwd) x=$SOCKCTL_FAKE_X argv=$*" > "$SOCKCTL_FAKE_OUT"\n', { mode: 0o755 });
    process.env.SOCKCTL_FAKE_X = 'from-parent';
    process.env.SOCKCTL_FAKE_OUT = path.join(dir, 'out');
    try {
      const child = runInNetns('sh', undefined, { unshare: quiet });
      expect(child.stdout).toBe(null); // inherited: no pipe
      const [code] = (await once(child, 'close')) as [number];
      expect(code).toBe(0);
      // No args given: the command alone.
      expect(readFileSync(path.join(dir, 'out'), 'utf8').trim()).toBe(
        `cwd=${process.cwd()} x=from-parent argv=--user --map-root-user --net -- ${process.execPath} ${NETNS_EXEC} sh`,
      );
    } finally {
      delete process.env.SOCKCTL_FAKE_X;
      delete process.env.SOCKCTL_FAKE_OUT;
    }
  });
});
