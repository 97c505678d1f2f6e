// The fixtures' silence and loss unprivileged: inside the user + network namespace that
// sockctl-netns makes, uid 65534 holds CAP_NET_ADMIN over the namespace's sockets, so the
// socket filters work there (test/fixtures/faults-netns-child.cjs, on the built dist/).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canUseNetns } from '../src/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const CHILD = path.join(HERE, 'fixtures', 'faults-netns-child.cjs');
const NOBODY = ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps=-all'];
const isRoot =
  process.getuid?.() === 0 &&
  readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') === '0 0 4294967295';
const netns = canUseNetns();
const built = existsSync(path.join(ROOT, 'dist', 'index.js'));

describe.skipIf(!netns.ok || !built)(`fault fixtures inside sockctl-netns${netns.ok ? '' : ` (skipped: ${netns.reason})`}`, () => {
  it(`${isRoot ? 'uid 65534' : 'this user'}: silent, a timeout toxic and packet loss work without root`, () => {
    const dist = createRequire(import.meta.url)(path.join(ROOT, 'dist', 'index.js')) as typeof import('../src/index.js');
    const argv = dist.netnsCommand(process.execPath, [CHILD]);
    const [command, args] = isRoot ? ['setpriv', [...NOBODY, argv.command, ...argv.args]] : [argv.command, argv.args];
    const out = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000, cwd: '/' });
    expect(out.status, out.stderr).toBe(0);
    const report = JSON.parse(out.stdout);
    console.log(`in the namespace: ${JSON.stringify(report)}`);
    expect(report.uid).toBe(0); // the caller's uid, mapped to root inside
    expect(report.probe).toEqual({ ok: true });
    expect(report.silent).toMatchObject({ code: 'ETIMEDOUT' });
    expect(report.timeout).toMatchObject({ code: 'ETIMEDOUT' });
    expect(report.loss.received).toBe(16777216);
    expect(report.loss.retransmits).toBeGreaterThan(0);
  });
});
