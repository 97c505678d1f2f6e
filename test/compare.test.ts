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
import { compareRuns, factsOf, renderComparison, timingClass } from '../src/scenario/compare.js';
import type { CaseRun, CatalogRun } from '../src/scenario/run-catalog.js';

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

describe('compare over given runs', () => {
  type Given = {
    name?: string;
    family?: 4 | 6;
    verdict?: string;
    ms?: number;
    actual?: string[];
    node?: unknown;
    states?: object[];
  };
  const caseRun = (g: Given): CaseRun =>
    ({
      name: g.name ?? 'a',
      family: g.family ?? 4,
      raw: {
        verdict: g.verdict ?? 'pass',
        durationMs: g.ms ?? 10,
        actual: g.actual ?? ['ok'],
        steps: (g.states ?? []).map((states) => ({ states })),
      },
      node: g.node,
    }) as unknown as CaseRun;
  const catalogRun = (results: CaseRun[], node = '20.0.0'): CatalogRun =>
    ({ environment: { kernel: '6.1.0', node, uid: 0 }, results }) as unknown as CatalogRun;

  it('timingClass: instant below 300 ms, sub-second below 1500 ms, seconds from there; skipped whatever its time', () => {
    expect([0, 299, 300, 1499, 1500, 9000].map((ms) => timingClass(caseRun({ ms })))).toEqual([
      'instant',
      'instant',
      'sub-second',
      'sub-second',
      'seconds',
      'seconds',
    ]);
    expect(timingClass(caseRun({ verdict: 'skipped', ms: 5000 }))).toBe('skipped');
  });

  it("factsOf: the errnos in order, Node's events, the last step's states without the listener's", () => {
    const run = caseRun({
      actual: ['ok', 'ECONNRESET', 'EPIPE'],
      node: { skipped: false, events: ['error ECONNRESET', 'close'] },
      states: [{ client: 'SYN_SENT' }, { listener: 'LISTEN', client: 'CLOSE', server: undefined, peer: 'ESTABLISHED' }],
    });
    expect(factsOf(run)).toStrictEqual({
      verdict: 'pass',
      errnos: 'ok ECONNRESET EPIPE',
      node: 'error ECONNRESET, close',
      states: 'client=CLOSE peer=ESTABLISHED',
      timing: 'instant',
    });
    expect(factsOf(caseRun({ node: { skipped: true, events: ['x'] } }))).toMatchObject({ node: 'skipped', states: '-' });
    expect(factsOf(caseRun({ node: undefined })).node).toBe('-');
  });

  it('compareRuns: each differing aspect by name, a case missing from a run differs in all, pass against error regressed', () => {
    const c = compareRuns(
      [
        catalogRun([caseRun({ name: 'same' }), caseRun({ name: 'errno', actual: ['EPIPE'] }), caseRun({ name: 'gone' })]),
        catalogRun([caseRun({ name: 'same' }), caseRun({ name: 'errno', actual: ['ECONNRESET'], verdict: 'error', ms: 400 })]),
      ],
      ['one', 'two'],
    );
    expect(c.labels).toEqual(['one', 'two']);
    expect(c.cases.map((x) => [x.key, x.differs, x.regressed])).toEqual([
      ['same/v4', [], false],
      ['errno/v4', ['verdict', 'errnos', 'timing'], true],
      ['gone/v4', ['verdict', 'errnos', 'node', 'states', 'timing'], false],
    ]);
    expect(c.cases[2].facts[1]).toBeUndefined();
    const failed = compareRuns([catalogRun([caseRun({})]), catalogRun([caseRun({ verdict: 'fail' })])], ['x', 'y']);
    expect(failed.cases[0].regressed).toBe(true);
    const skipped = compareRuns([catalogRun([caseRun({})]), catalogRun([caseRun({ verdict: 'skipped' })])], ['x', 'y']);
    expect(skipped.cases[0]).toMatchObject({ differs: ['verdict', 'timing'], regressed: false });
  });

  it('renderComparison: the runs, each differing aspect per run, then the cases the same', () => {
    const c = compareRuns(
      [
        catalogRun(
          [caseRun({ name: 'same' }), caseRun({ name: 'errno', actual: ['EPIPE'] }), caseRun({ name: 'gone' })],
          '20.1.0',
        ),
        catalogRun([caseRun({ name: 'same' }), caseRun({ name: 'errno', actual: [], verdict: 'fail' })], '22.2.0'),
      ],
      ['one', 'two'],
    );
    expect(renderComparison(c).split('\n')).toEqual([
      'runs:',
      '  [1] one — Linux 6.1.0, Node 20.1.0, uid 0',
      '  [2] two — Linux 6.1.0, Node 22.2.0, uid 0',
      '',
      '2 case(s) differ:',
      '  errno/v4   ← passed in one run, failed in another',
      '    verdict  [1] pass',
      '    verdict  [2] fail',
      '    errnos   [1] EPIPE',
      '    errnos   [2] -',
      '  gone/v4',
      '    verdict  [1] pass',
      '    verdict  [2] (not in this run)',
      '    errnos   [1] ok',
      '    errnos   [2] (not in this run)',
      '    node     [1] -',
      '    node     [2] (not in this run)',
      '    states   [1] -',
      '    states   [2] (not in this run)',
      '    timing   [1] instant',
      '    timing   [2] (not in this run)',
      '',
      '1 case(s) the same in every run: same/v4',
    ]);
    const none = renderComparison(
      compareRuns([catalogRun([caseRun({ actual: ['x'] })]), catalogRun([caseRun({ actual: ['y'] })])], ['a', 'b']),
    );
    expect(none).toMatch(/\n1 case\(s\) differ:\n/);
    expect(none.endsWith('\n0 case(s) the same in every run: -')).toBe(true);
    const same = renderComparison(compareRuns([catalogRun([caseRun({})]), catalogRun([caseRun({})])], ['a', 'b']));
    expect(same).toContain('\nno case differs.\n');
  });
});
