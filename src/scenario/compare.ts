/**
 * Compares recorded catalog runs (`sockctl --json` output) from other hosts, kernels or Node
 * versions: which cases differ in verdict, errno sequence, Node events, TCP states or timing
 * class, and which are the same everywhere.
 */
import type { CatalogRun, CaseRun } from './run-catalog.js';

/** Coarse timing, so that noise does not count as a difference. */
export type TimingClass = 'instant' | 'sub-second' | 'seconds' | 'skipped';

export function timingClass(run: CaseRun): TimingClass {
  if (run.raw.verdict === 'skipped') return 'skipped';
  const ms = run.raw.durationMs;
  return ms < 300 ? 'instant' : ms < 1500 ? 'sub-second' : 'seconds';
}

/** What is compared for one case in one run. */
export interface CaseFacts {
  verdict: string;
  errnos: string;
  node: string;
  states: string;
  timing: TimingClass;
}

export const ASPECTS = ['verdict', 'errnos', 'node', 'states', 'timing'] as const;
export type Aspect = (typeof ASPECTS)[number];

export function factsOf(run: CaseRun): CaseFacts {
  const last = run.raw.steps[run.raw.steps.length - 1];
  return {
    verdict: run.raw.verdict,
    errnos: run.raw.actual.join(' '),
    node: run.node ? (run.node.skipped ? 'skipped' : run.node.events.join(', ')) : '-',
    states: last
      ? Object.entries(last.states)
          .filter(([end, state]) => state !== undefined && end !== 'listener')
          .map(([end, state]) => `${end}=${state}`)
          .join(' ')
      : '-',
    timing: timingClass(run),
  };
}

export interface CaseComparison {
  /** `name/v4` or `name/v6`. */
  key: string;
  /** One entry per run; undefined where the run did not have the case. */
  facts: Array<CaseFacts | undefined>;
  differs: Aspect[];
  /** Passed in one run and failed (or errored) in another. */
  regressed: boolean;
}

export interface Comparison {
  labels: string[];
  environments: CatalogRun['environment'][];
  cases: CaseComparison[];
}

/** Compares runs case by case (name and family). */
export function compareRuns(runs: CatalogRun[], labels: string[]): Comparison {
  const keys: string[] = [];
  for (const run of runs) {
    for (const r of run.results) {
      const key = `${r.name}/v${r.family}`;
      if (!keys.includes(key)) keys.push(key);
    }
  }
  const cases = keys.map((key): CaseComparison => {
    const facts = runs.map((run) => {
      const found = run.results.find((r) => `${r.name}/v${r.family}` === key);
      return found ? factsOf(found) : undefined;
    });
    const present = facts.filter((f): f is CaseFacts => f !== undefined);
    const differs = ASPECTS.filter(
      (aspect) => present.some((f) => f[aspect] !== present[0][aspect]) || present.length !== facts.length,
    );
    const verdicts = present.map((f) => f.verdict);
    const regressed = verdicts.includes('pass') && verdicts.some((v) => v === 'fail' || v === 'error');
    return { key, facts, differs, regressed };
  });
  return { labels, environments: runs.map((r) => r.environment), cases };
}

function shortEnv(env: CatalogRun['environment']): string {
  return `Linux ${env.kernel}, Node ${env.node}, uid ${env.uid}`;
}

/** A text report: the runs, the cases that differ (aspect by aspect), and those the same. */
export function renderComparison(c: Comparison): string {
  const out: string[] = ['runs:'];
  c.labels.forEach((label, i) => out.push(`  [${i + 1}] ${label} — ${shortEnv(c.environments[i])}`));
  const differing = c.cases.filter((x) => x.differs.length > 0);
  const same = c.cases.filter((x) => x.differs.length === 0);
  out.push('', differing.length ? `${differing.length} case(s) differ:` : 'no case differs.');
  for (const x of differing) {
    out.push(`  ${x.key}${x.regressed ? '   ← passed in one run, failed in another' : ''}`);
    for (const aspect of x.differs) {
      x.facts.forEach((f, i) => out.push(`    ${aspect.padEnd(8)} [${i + 1}] ${f ? f[aspect] || '-' : '(not in this run)'}`));
    }
  }
  out.push('', `${same.length} case(s) the same in every run: ${same.map((x) => x.key).join(', ') || '-'}`);
  return out.join('\n');
}
