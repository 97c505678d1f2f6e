// `sockctl compare` on two recorded runs of this catalog (test/fixtures): one as root, one as
// uid 65534 without capabilities, on the same kernel. Regenerate with:
//   node dist/cli/cli.js --json --family 4 > test/fixtures/run-root.json
//   setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all \
//     node dist/cli/cli.js --json --family 4 > test/fixtures/run-nobody.json
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareRuns, renderComparison } from '../src/scenario/compare.js';
import type { CatalogRun } from '../src/scenario/run-catalog.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const load = (name: string): CatalogRun => JSON.parse(readFileSync(fixture(name), 'utf8'));
const CLI = fileURLToPath(new URL('../dist/cli/cli.js', import.meta.url));

describe('compare', () => {
  const root = load('run-root.json');
  const nobody = load('run-nobody.json');

  it('finds exactly the privileged cases differing between root and an unprivileged user', () => {
    const c = compareRuns([root, nobody], ['root', 'nobody']);
    const differing = c.cases.filter((x) => x.differs.length > 0).map((x) => x.key);
    expect(differing.sort()).toEqual(
      [
        'connect-silent-listener/v4',
        'keepalive-silent-peer/v4',
        'kernel-kill/v4',
        'peer-returns-after-timeout/v4',
        'user-timeout-silent-peer/v4',
      ].sort(),
    );
    const kill = c.cases.find((x) => x.key === 'kernel-kill/v4');
    expect(kill?.facts.map((f) => f?.verdict)).toEqual(['pass', 'skipped']);
    expect(kill?.facts[0]?.errnos).toContain('ECONNABORTED');
    expect(c.cases.some((x) => x.regressed)).toBe(false);
    const unreadData = c.cases.find((x) => x.key === 'unread-data-close/v4');
    expect(unreadData?.differs).toEqual([]);
    expect(renderComparison(c)).toMatch(/5 case\(s\) differ/);
  });

  it('exits 1 when a case that passed in one run fails in another', () => {
    const broken = structuredClone(root);
    const target = broken.results.find((r) => r.name === 'close-wait-write');
    if (!target) throw new Error('fixture lacks close-wait-write');
    target.raw.verdict = 'fail';
    target.raw.actual[target.raw.actual.length - 2] = 'ECONNRESET';
    const dir = mkdtempSync(path.join(tmpdir(), 'sockctl-compare-'));
    const brokenFile = path.join(dir, 'broken.json');
    writeFileSync(brokenFile, JSON.stringify(broken));
    const out = spawnSync(process.execPath, [CLI, 'compare', fixture('run-root.json'), brokenFile], { encoding: 'utf8' });
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/close-wait-write\/v4\s+← passed in one run, failed in another/);
    const same = spawnSync(process.execPath, [CLI, 'compare', fixture('run-root.json'), fixture('run-nobody.json')], {
      encoding: 'utf8',
    });
    expect(same.status).toBe(0);
  });

  it('refuses files that are not sockctl results', () => {
    const out = spawnSync(process.execPath, [CLI, 'compare', fixture('run-root.json'), fixture('localhost-cert.pem')], {
      encoding: 'utf8',
    });
    expect(out.status).toBe(2);
  });
});
