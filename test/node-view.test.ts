// The catalog run from src/ (the CLI tests run dist/) against what `npm run matrix` published for
// this host: docs/matrix/node-<major>.json (the running Node major, as root) and
// docs/matrix/host-root.json / host-nobody.json (Node 20, by privilege). Each case's title,
// expectation, verdict, declared and actual outcomes, its last step (what `sockctl --json`
// publishes of the steps) and its Node view's events must be what the published run recorded,
// times aside. Where a published run does not apply — another Node major, another kernel
// series, another privilege — the check says why it is skipped. After a change to what a case
// prints, `npm run matrix -- --host-only` republishes the host's columns.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canBlackhole, canKill, runCatalog, type CaseRun, type CatalogRun } from '../src/index.js';

const major = process.versions.node.split('.')[0];
const privileged = canBlackhole().ok && canKill().ok;
const series = (release: string) => release.match(/^(\d+\.\d+)/)?.[1];
const load = (name: string): CatalogRun | undefined => {
  const file = fileURLToPath(new URL(`../docs/matrix/${name}.json`, import.meta.url));
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CatalogRun) : undefined;
};

/** The published run this process can be held to, or why none applies. */
function reference(): { run?: CatalogRun; why: string } {
  const run = privileged ? load(`node-${major}`) : major === '20' ? load('host-nobody') : undefined;
  if (!run) return { why: privileged ? `no published run for Node ${major}` : `no published unprivileged run for Node ${major}` };
  if (series(run.environment.kernel) !== series(os.release())) {
    return { why: `the published run is from Linux ${series(run.environment.kernel)}, this is ${series(os.release())}` };
  }
  return { run, why: '' };
}
const { run: published, why } = reference();

/** A case run without what changes from run to run (times, step numbers). */
function stable(r: CaseRun) {
  const last = r.raw.steps[r.raw.steps.length - 1];
  return {
    title: r.title,
    expectation: r.expectation,
    note: r.note,
    verdict: r.verdict,
    reason: r.reason,
    expected: r.raw.expected,
    actual: r.raw.actual,
    last: last && {
      end: last.end,
      op: last.op,
      syscall: last.syscall,
      detail: last.detail,
      outcome: last.outcome,
      expected: last.expected,
      matched: last.matched,
      states: last.states,
      bytes: last.bytes,
      errno: last.errno,
    },
    node: r.node && { events: r.node.events, errorCode: r.node.errorCode, hadError: r.node.hadError, skipped: r.node.skipped },
  };
}

const key = (r: CaseRun) => `${r.name}/v${r.family}`;

// One test runs the catalog and checks every case (expect.soft names each one that differs):
// work done in a beforeAll hook belongs to no test, and a mutation run then cannot tell which
// test covers the code it exercised.
describe.skipIf(why)(`the catalog against the published run${why ? ` (skipped: ${why})` : ''}`, () => {
  it('every case and family: what it prints, its outcomes and its Node view', async () => {
    const run = await runCatalog({ families: [4, 6] });
    expect(run.results.map(key)).toEqual(published!.results.map(key));
    for (const recorded of published!.results) {
      const now = run.results.find((r) => key(r) === key(recorded));
      expect.soft(now && stable(now), key(recorded)).toEqual(stable(recorded));
    }
  }, 60_000);
});
