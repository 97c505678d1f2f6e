// docs/ladders.md is drawn from a saved catalog run (npm run docs:ladders, with capture). These
// checks keep it from going stale: the page must be exactly what the renderer draws from the
// saved run, the saved run must be of the catalog as it is declared now, and — where this
// process may capture — the cases whose segments never vary must put the same ladder on the
// wire here as on the page.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canCapture } from '../src/raw/capture.js';
import { catalog } from '../src/scenario/catalog/index.js';
import { renderLadder, renderLaddersPage, type SavedLadders } from '../src/scenario/ladder.js';

const docs = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
const saved: SavedLadders = JSON.parse(readFileSync(docs('ladders.json'), 'utf8'));
const probe = canCapture();
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;

/** Cases whose segments are the same run after run (no timers, no buffer sizes involved). */
const STEADY = [
  'unread-data-close',
  'linger-zero-close',
  'connect-refused',
  'forged-rst-next',
  'forged-rst-in-window',
  'forged-segment-closed-port',
];

describe('docs/ladders.md', () => {
  it('is exactly what the renderer draws from docs/ladders.json and the catalog', () => {
    expect(readFileSync(docs('ladders.md'), 'utf8')).toBe(`${renderLaddersPage(saved, catalog)}\n`);
  });

  it('was recorded from the catalog as declared now: every case, in order, passing, with its steps', () => {
    expect(saved.cases.map((c) => c.name)).toEqual(catalog.map((c) => c.name));
    for (const c of catalog) {
      const run = saved.cases.find((r) => r.name === c.name)!;
      expect(run.verdict, c.name).toBe('pass');
      if (!c.describe) continue;
      const recorded = run.steps.map((s) => ({
        end: s.end,
        op: s.op,
        detail: s.detail,
        expected: s.expected,
        wire: s.wire?.map((w) => w.expects),
      }));
      const declared = c.describe().map((d) => ({ end: d.end, op: d.op, detail: d.detail, expected: d.expected, wire: d.wire }));
      expect(recorded, c.name).toEqual(declared);
      // A scenario's page shows what was captured: the setup's segments and a list under each step.
      expect(run.wire?.skipped, c.name).toBeUndefined();
      for (const step of run.steps) expect(step.segments, `${c.name} step ${step.index}`).toBeDefined();
    }
  });

  it.skipIf(!probe.ok)(`matches what this kernel puts on the wire for the cases that never vary${skipReason}`, async () => {
    for (const name of STEADY) {
      const c = catalog.find((x) => x.name === name)!;
      const result = await c.run(4, { wire: true });
      expect(result.verdict, `${name}: ${result.reason}`).toBe('pass');
      expect(renderLadder(result), name).toBe(renderLadder(saved.cases.find((r) => r.name === name)!));
    }
  });
});
