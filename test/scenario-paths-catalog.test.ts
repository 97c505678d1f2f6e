// The catalog's plumbing off its usual path: runCatalog with a case that is skipped or that
// throws (src/scenario/run-catalog.ts), the case helpers (catalog/case.ts), the comparison text
// for missing, skipped and empty facts (compare.ts), the Node recorder's bounds (node-view.ts)
// and wire expectations in words for ranges and open spacings (wire.ts).
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { tcpPair } from './helpers.js';
import { runCatalog } from '../src/index.js';
import { bounded, describeError, guarded, nodeState, unmet, until, type CatalogCase } from '../src/scenario/catalog/case.js';
import { tcpInfo } from '../src/controls/tcp-info.js';
import { catalog } from '../src/scenario/catalog/index.js';
import { compareRuns, renderComparison } from '../src/scenario/compare.js';
import { NodeRecorder } from '../src/scenario/node-view.js';
import type { CaseRun, CatalogRun, Environment } from '../src/scenario/run-catalog.js';
import type { ScenarioResult } from '../src/scenario/types.js';
import { checkExpectation, describeExpectation } from '../src/scenario/wire.js';

describe('runCatalog when a case does not pass', () => {
  it('a forging case run with wire: false is skipped, its reason at the top', async () => {
    const run = await runCatalog({ only: ['forged-rst-next'], families: [6], wire: false });
    expect(run.results).toHaveLength(1);
    const [r] = run.results;
    expect(r).toMatchObject({ name: 'forged-rst-next', family: 6, verdict: 'skipped' });
    expect(r.reason).toBe(r.raw.reason);
    expect(r.reason).toMatch(/^needs capture.*: forge steps take their numbers from it \(wire: false given\)$/);
    expect(r).not.toHaveProperty('node');
  });

  it('a case whose raw view or Node view throws is an error result, not a failed run', async () => {
    const throwing: CatalogCase = {
      name: 'paths-throwing-case',
      title: 'throws',
      expectation: 'an error verdict',
      errnos: [],
      timersMs: 0,
      requires: [],
      run: () => Promise.reject(new Error('raw view broke')),
      node: () => Promise.reject(new Error('node view broke')),
    };
    catalog.push(throwing);
    try {
      const run = await runCatalog({ only: ['paths-throwing-case'], families: [4, 6] });
      expect(run.results.map((r) => [r.family, r.verdict, r.reason])).toEqual([
        [4, 'error', 'raw view broke'],
        [6, 'error', 'raw view broke'],
      ]);
      expect(run.results[1].raw).toStrictEqual({
        name: 'paths-throwing-case',
        family: 6,
        verdict: 'error',
        reason: 'raw view broke',
        steps: [],
        expected: [],
        actual: [],
        durationMs: 0,
      });
      expect(run.results[0].node).toStrictEqual({ events: ['(node view failed: node view broke)'], durationMs: 0 });
    } finally {
      catalog.splice(catalog.indexOf(throwing), 1);
    }
  });
});

describe('case helpers', () => {
  const met = { name: 'met', probe: () => ({ ok: true }) };
  const quiet = { name: 'quiet', probe: () => ({ ok: false }) };
  const told = { name: 'told', probe: () => ({ ok: false, reason: 'no privilege' }) };

  it('unmet names the first requirement not met, with its reason or "unavailable"', () => {
    expect(unmet([])).toBeUndefined();
    expect(unmet([met])).toBeUndefined();
    expect(unmet([met, quiet, told])).toBe('needs quiet: unavailable');
    expect(unmet([told, quiet])).toBe('needs told: no privilege');
  });

  it('guarded skips the view, without running it, where a requirement is not met', async () => {
    let views = 0;
    const view = async () => {
      views++;
      return { events: ['ran'], durationMs: 1 };
    };
    expect(await guarded([met, told], view)(4)).toStrictEqual({ events: [], durationMs: 0, skipped: 'needs told: no privilege' });
    expect(views).toBe(0);
    expect(await guarded([met], view)(6)).toStrictEqual({ events: ['ran'], durationMs: 1 });
    expect(views).toBe(1);
  });

  it('bounded gives up after its bound with a line naming what did not settle', async () => {
    const started = Date.now();
    expect(await bounded(new Promise<never>(() => {}), 30, 'fetch')).toBe('fetch: no outcome within 30 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(await bounded(Promise.resolve(7), 5000, 'fetch')).toBe(7);
  });

  it('bounded clears its timer when the promise settles first: nothing is left to keep the process up', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    expect(await bounded(Promise.resolve('done'), 60_000, 'fetch')).toBe('done');
    expect(
      await bounded(
        Promise.reject(new Error('x')).catch(() => 'caught'),
        60_000,
        'fetch',
      ),
    ).toBe('caught');
    expect(timers()).toBe(before);
  });

  it('until polls until done() holds, and gives false when its time runs out', async () => {
    let calls = 0;
    const started = performance.now();
    expect(await until(() => ++calls >= 4, 3000)).toBe(true);
    expect(calls).toBe(5); // three misses, the hit, the final read
    expect(await until(() => false, 40)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(39);
    let late = false;
    setTimeout(() => (late = true), 20);
    expect(await until(() => late, 3000)).toBe(true);
  });

  it('nodeState waits for the kernel state, gives up at its bound, and stops at once on a destroyed socket', async () => {
    // Half-open allowed: the server's socket stays open in CLOSE_WAIT for tcpInfo to read.
    const pair = await tcpPair('127.0.0.1', { allowHalfOpen: true });
    try {
      let started = performance.now();
      await nodeState(pair.server, 'CLOSE_WAIT', 40);
      expect(performance.now() - started).toBeGreaterThanOrEqual(39);
      expect(tcpInfo(pair.server).state).toBe('ESTABLISHED');
      setTimeout(() => pair.client.end(), 30);
      started = performance.now();
      await nodeState(pair.server, 'CLOSE_WAIT', 3000);
      expect(tcpInfo(pair.server).state).toBe('CLOSE_WAIT');
      expect(performance.now() - started).toBeLessThan(2000);
      pair.server.destroy();
      started = performance.now();
      await nodeState(pair.server, 'ESTABLISHED', 3000);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await pair.close();
    }
  });

  it("describeError: the code, or the name and message, and the cause's code or name", () => {
    expect(describeError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(describeError(new TypeError('fetch failed', { cause: Object.assign(new Error('y'), { code: 'ECONNRESET' }) }))).toBe(
      "TypeError 'fetch failed', cause ECONNRESET",
    );
    expect(describeError({ message: 'm', cause: { name: 'AbortError' } })).toBe("Error 'm', cause AbortError");
    expect(describeError({ name: 'X', cause: {} })).toBe("X '', cause ?");
  });
});

const environment: Environment = {
  kernel: '6.18.0-test',
  node: 'v20.20.2',
  platform: 'linux-x64',
  uid: 0,
  capabilities: [],
  tcpInfoLength: 248,
  probes: {},
  families: [4],
};

function caseRun(name: string, raw: Partial<ScenarioResult>, node?: CaseRun['node']): CaseRun {
  const result: ScenarioResult = { name, family: 4, verdict: 'pass', steps: [], expected: [], actual: [], durationMs: 1, ...raw };
  return { name, family: 4, title: name, expectation: '', verdict: result.verdict, raw: result, ...(node ? { node } : {}) };
}

describe('renderComparison', () => {
  it('shows a missing case, a skipped Node view and an empty fact; no case the same', () => {
    const one: CatalogRun = {
      environment,
      wallMs: 1,
      results: [
        caseRun('a', { actual: [] }, { events: ['data 2'], durationMs: 1 }),
        caseRun('b', { verdict: 'skipped' }, { events: [], durationMs: 0, skipped: 'needs x' }),
      ],
    };
    const two: CatalogRun = {
      environment: { ...environment, kernel: '6.1.0-test', uid: 1000 },
      wallMs: 1,
      results: [caseRun('a', { actual: ['ECONNRESET'], expected: ['ECONNRESET'] }, { events: ['data 2'], durationMs: 1 })],
    };
    expect(renderComparison(compareRuns([one, two], ['here', 'there'])).split('\n')).toEqual([
      'runs:',
      '  [1] here — Linux 6.18.0-test, Node v20.20.2, uid 0',
      '  [2] there — Linux 6.1.0-test, Node v20.20.2, uid 1000',
      '',
      '2 case(s) differ:',
      '  a/v4',
      '    errnos   [1] -',
      '    errnos   [2] ECONNRESET',
      '  b/v4',
      '    verdict  [1] skipped',
      '    verdict  [2] (not in this run)',
      '    errnos   [1] -',
      '    errnos   [2] (not in this run)',
      '    node     [1] skipped',
      '    node     [2] (not in this run)',
      '    states   [1] -',
      '    states   [2] (not in this run)',
      '    timing   [1] skipped',
      '    timing   [2] (not in this run)',
      '',
      '0 case(s) the same in every run: -',
    ]);
  });

  it('says when no case differs, and marks a case that passed in one run and failed in another', () => {
    const same: CatalogRun = { environment, wallMs: 1, results: [caseRun('a', {})] };
    expect(
      renderComparison(compareRuns([same, same], ['x', 'y']))
        .split('\n')
        .slice(3),
    ).toEqual(['', 'no case differs.', '', '1 case(s) the same in every run: a/v4']);
    const failed: CatalogRun = { environment, wallMs: 1, results: [caseRun('a', { verdict: 'fail' })] };
    expect(
      renderComparison(compareRuns([same, failed], ['x', 'y']))
        .split('\n')
        .slice(4, 8),
    ).toEqual([
      '1 case(s) differ:',
      '  a/v4   ← passed in one run, failed in another',
      '    verdict  [1] pass',
      '    verdict  [2] fail',
    ]);
  });
});

describe('NodeRecorder bounds', () => {
  it("records 'data <bytes>', gives up on a close that does not come, and on an event that does not", async () => {
    const pair = await tcpPair('127.0.0.1');
    try {
      const recorder = new NodeRecorder(pair.client);
      pair.server.write('ab');
      expect(await recorder.next('data', 3000)).toBe(true);
      expect(recorder.events).toEqual(['data 2']);
      const started = Date.now();
      expect(await recorder.next('end', 40)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(35);
      await recorder.settle(40);
      // Not closed within the bound: said so, and destroyed so nothing lingers.
      expect(recorder.events.slice(0, 2)).toEqual(['data 2', '(no close within 40 ms)']);
      expect(pair.client.destroyed).toBe(true);
    } finally {
      await pair.close();
    }
  });
});

describe('wire expectations in words', () => {
  it('names ranges of counts and open-ended spacings', () => {
    expect(describeExpectation({ from: 'server', flags: 'R', count: { min: 2, max: 2 } })).toBe('server sends 2 × R');
    expect(describeExpectation({ from: 'server', flags: 'R', count: { min: 1, max: 3 } })).toBe('server sends 1–3 × R');
    expect(describeExpectation({ from: 'client', flags: '.', count: { max: 2 } })).toBe('client sends 0–2 × .');
    expect(describeExpectation({ from: 'client', flags: '.', spacingMs: { min: 100 } })).toBe('client sends . 100–∞ ms apart');
    expect(describeExpectation({ from: 'client', flags: 'F', scope: 'step' })).toBe('client sends F in this step');
  });

  it('a ranged count is met inside the range only; a step past the list has no segments', () => {
    const perStep = [
      [
        { from: 'server', to: 'client', flags: 'R.', seq: 1, length: 0, window: 0, atMs: 1 },
        { from: 'server', to: 'client', flags: 'R', seq: 1, length: 0, window: 0, atMs: 2 },
      ],
    ];
    expect(checkExpectation({ from: 'server', flags: 'R', count: { min: 1, max: 2 } }, 0, perStep)).toEqual({
      expects: 'server sends 1–2 × R',
      seen: '2 × R./R from server, gaps 1 ms',
      ok: true,
    });
    expect(checkExpectation({ from: 'server', flags: 'R', count: { min: 3, max: 4 } }, 0, perStep).ok).toBe(false);
    expect(checkExpectation({ from: 'server', flags: 'R', scope: 'step' }, 5, perStep)).toEqual({
      expects: 'server sends R in this step',
      seen: '0 × R from server',
      ok: false,
    });
  });
});
