// Capture and forging as an unprivileged user: as uid 65534 on the host the kernel refuses and the
// errors say what is missing; as uid 65534 inside runInNetns() both work, and a non-loopback
// address the namespace gives lo is neither captured nor forged to. The child runs the built
// library (dist/) through test/fixtures/wire-child.cjs — as uid 65534 from a readable copy in
// the temp dir (nobody.ts), since the clone may sit where that uid cannot enter.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { canUseNetns, type netnsCommand } from '../src/index.js';
import { NOBODY, privileges, stageForNobody } from './nobody.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const built = existsSync(path.join(ROOT, 'dist', 'index.js'));
const { isRoot, netns, noRoot: rootSkip, noNetns: netnsSkip } = privileges(canUseNetns);
const stage = isRoot && built ? stageForNobody(['test/fixtures/wire-child.cjs']) : undefined;
afterAll(() => stage?.remove());
const CHILD = path.join(stage?.root ?? ROOT, 'test', 'fixtures', 'wire-child.cjs');
const unreadable = stage?.unreadable ? ` (skipped: ${stage.unreadable})` : '';
const noRoot = rootSkip || unreadable;
const noNetns = netnsSkip || (netns.ok ? unreadable : '');

interface Report {
  uid: number;
  canCapture: { ok: boolean; code?: string; reason?: string };
  canForge: { ok: boolean; code?: string; reason?: string };
  capture: Record<string, unknown>;
  forge: Record<string, unknown>;
  scenario: { verdict: string; reason?: string; wire: Array<{ expects: string; ok: boolean }> };
  otherAddress?: { captured: number; forge: Record<string, unknown> };
}

function report(command: string, args: string[]): Report {
  const out = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000, cwd: '/' });
  if (out.error) throw out.error;
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as Report;
}

describe.skipIf(noRoot !== '' || !built)(`capture and forge as uid 65534 without a namespace${noRoot}`, () => {
  it('the probes say EPERM naming CAP_NET_RAW; capture throws it, forge returns it, forge cases skip', () => {
    const r = report('setpriv', [...NOBODY, process.execPath, CHILD]);
    expect(r.uid).toBe(65534);
    for (const probe of [r.canCapture, r.canForge]) {
      expect(probe).toMatchObject({ ok: false, code: 'EPERM' });
      expect(probe.reason).toContain('CAP_NET_RAW');
    }
    expect(r.capture).toEqual({
      name: 'Error',
      code: 'EPERM',
      errno: -1,
      syscall: 'socket',
      option: 'AF_PACKET',
      missing: 'CAP_NET_RAW',
    });
    expect(r.forge).toEqual({ ok: false, errno: -1, code: 'EPERM', syscall: 'socket' });
    expect(r.scenario.verdict).toBe('skipped');
    expect(r.scenario.reason).toMatch(/^needs capture \(CAP_NET_RAW\): /);
  });
});

describe.skipIf(noNetns !== '' || !built)(`${isRoot ? 'uid 65534' : 'this user'} inside runInNetns()${noNetns}`, () => {
  it('captures and forges on loopback; an address that is not loopback is neither captured nor forged to', () => {
    const dist = createRequire(import.meta.url)(path.join(stage?.root ?? ROOT, 'dist', 'index.js')) as {
      netnsCommand: typeof netnsCommand;
    };
    const argv = dist.netnsCommand(process.execPath, [CHILD, '--other-address']);
    const r = isRoot ? report('setpriv', [...NOBODY, argv.command, ...argv.args]) : report(argv.command, argv.args);
    expect(r.uid).toBe(0);
    expect(r.canCapture).toEqual({ ok: true });
    expect(r.canForge).toEqual({ ok: true });
    expect(r.capture).toEqual({ ok: true });
    expect(r.forge).toEqual({ ok: true, syscall: 'sendto' });
    expect(r.scenario).toMatchObject({
      verdict: 'pass',
      wire: [{ expects: 'server sends 1 × exactly . in this step', ok: true }],
    });
    // 10.200.0.1 on lo: the kernel filter passes loopback addresses only, and the addon refuses
    // to forge between addresses that are not loopback.
    expect(r.otherAddress).toEqual({ captured: 0, forge: { code: 'ERR_INVALID_ARG_VALUE' } });
  });
});
