// The fixtures' silence and loss unprivileged: inside the user + network namespace that
// sockctl-netns makes, uid 65534 holds CAP_NET_ADMIN over the namespace's sockets, so the
// socket filters work there (test/fixtures/faults-netns-child.cjs, on the built dist/). As
// uid 65534 the child runs a readable copy in the temp dir (nobody.ts): the clone may be closed
// to that uid.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { canUseNetns } from '../src/index.js';
import { isRoot, NOBODY, stageForNobody } from './nobody.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const netns = canUseNetns();
const built = existsSync(path.join(ROOT, 'dist', 'index.js'));
const stage = isRoot && built && netns.ok ? stageForNobody(['test/fixtures/faults-netns-child.cjs']) : undefined;
afterAll(() => stage?.remove());
const CHILD = path.join(stage?.root ?? ROOT, 'test', 'fixtures', 'faults-netns-child.cjs');
const skip = !netns.ok ? ` (skipped: ${netns.reason})` : stage?.unreadable ? ` (skipped: ${stage.unreadable})` : '';

describe.skipIf(skip !== '' || !built)(`fault fixtures inside sockctl-netns${skip}`, () => {
  it(`${isRoot ? 'uid 65534' : 'this user'}: silent, a timeout toxic and packet loss work without root`, () => {
    const dist = createRequire(import.meta.url)(
      path.join(stage?.root ?? ROOT, 'dist', 'index.js'),
    ) as typeof import('../src/index.js');
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
