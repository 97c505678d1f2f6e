// runCatalog from src (the CLI tests run the built dist/): what a program running the catalog
// gets — results in catalog order with the verdict at the top, the environment, and the
// progress callbacks in the order they promise.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCatalog, type CaseRun, type Environment } from '../src/index.js';
import { catalog } from '../src/scenario/catalog/index.js';

describe('runCatalog', () => {
  it('runs the selected cases on each family, in catalog order, verdict and reason at the top', async () => {
    const run = await runCatalog({ only: ['half-close', 'connect-refused'], families: [4, 6] });
    expect(run.results.map((r) => `${r.name}/${r.family}`)).toEqual([
      'connect-refused/4',
      'connect-refused/6',
      'half-close/4',
      'half-close/6',
    ]);
    for (const r of run.results) {
      const c = catalog.find((x) => x.name === r.name);
      expect(r).toMatchObject({ verdict: 'pass', title: c?.title, expectation: c?.expectation });
      expect(r.verdict).toBe(r.raw.verdict);
      expect(r.reason).toBeUndefined();
      expect(r.raw.family).toBe(r.family);
      expect(r.node?.events.length).toBeGreaterThan(0);
    }
    expect(run.environment).toMatchObject({
      kernel: os.release(),
      node: process.version,
      families: [4, 6],
      platform: `linux-${process.arch}`,
    });
    expect(Object.keys(run.environment.probes)).toEqual(['blackhole', 'kill', 'capture', 'forge', 'snapshot']);
    // The wall time covers every run, which ran at once: at least the longest, far less than a minute.
    expect(run.wallMs).toBeGreaterThanOrEqual(Math.max(...run.results.map((r) => r.raw.durationMs)));
    expect(run.wallMs).toBeLessThan(60_000);
  });

  it('calls onStart once before any run finishes, then onProgress as each finishes', async () => {
    const calls: string[] = [];
    let environment: Environment | undefined;
    const finished: CaseRun[] = [];
    const run = await runCatalog({
      only: ['connect-refused', 'write-after-reset'],
      families: [4],
      onStart(env, total) {
        environment = env;
        calls.push(`start ${total}`);
      },
      onProgress(done, total, running, last) {
        calls.push(`${done}/${total} running ${running.length}`);
        if (last) finished.push(last);
        else expect(done).toBe(0);
      },
    });
    expect(calls).toEqual(['start 2', '0/2 running 2', '1/2 running 1', '2/2 running 0']);
    expect(environment).toEqual(run.environment);
    expect(finished.map((r) => r.name).sort()).toEqual(['connect-refused', 'write-after-reset']);
    expect(finished.every((r) => run.results.includes(r))).toBe(true);
  });

  it("starts an isolated case's Node view only once every other case has finished", async () => {
    const order: string[] = [];
    const run = await runCatalog({
      only: ['connect-refused', 'fetch-reset-at-accept'],
      families: [4],
      onProgress: (_done, _total, _running, last) => last && order.push(last.name),
    });
    expect(catalog.find((c) => c.name === 'fetch-reset-at-accept')?.isolated).toBe(true);
    expect(order).toEqual(['connect-refused', 'fetch-reset-at-accept']);
    const isolated = run.results.find((r) => r.name === 'fetch-reset-at-accept');
    expect(isolated?.verdict).toBe('pass');
    expect(isolated?.node?.events.some((e) => e.startsWith('http.get: req error ECONNRESET'))).toBe(true);
  });

  it('a case without a Node view, or without a reason, carries no such field', async () => {
    const run = await runCatalog({ only: ['abort-leaves-no-time-wait', 'connect-refused'], families: [4], wire: false });
    const [abort, refused] = [...run.results].sort((a, b) => a.name.localeCompare(b.name));
    expect(abort.name).toBe('abort-leaves-no-time-wait');
    expect(abort.verdict).toBe('pass');
    expect(abort).not.toHaveProperty('node');
    expect(abort).not.toHaveProperty('reason');
    expect(refused.node?.events.length).toBeGreaterThan(0);
  });

  it('an isolated case alone: its Node view starts at once (no other case to wait for)', async () => {
    const run = await runCatalog({ only: ['fetch-reset-at-accept'], families: [4] });
    expect(run.results.map((r) => [r.name, r.verdict])).toEqual([['fetch-reset-at-accept', 'pass']]);
    expect(run.results[0].node?.events.some((e) => e.startsWith('http.get: req error ECONNRESET'))).toBe(true);
  });

  it('refuses bad options before running anything, naming the option', async () => {
    const refusals: Array<[unknown, string, RegExp]> = [
      [{ only: ['no-such-case'] }, 'ERR_SOCKCTL_UNKNOWN_CASE', /^unknown case no-such-case; known: /],
      [{ families: [5] }, 'ERR_INVALID_ARG_VALUE', /^The argument 'options\.families' must be a non-empty array of 4 and 6\. /],
      [
        { families: [4, 5] },
        'ERR_INVALID_ARG_VALUE',
        /^The argument 'options\.families' must be a non-empty array of 4 and 6\. /,
      ],
      [{ families: [] }, 'ERR_INVALID_ARG_VALUE', /^The argument 'options\.families' must be a non-empty array of 4 and 6\. /],
      [{ families: 4 }, 'ERR_INVALID_ARG_VALUE', /^The argument 'options\.families' must be a non-empty array of 4 and 6\. /],
      [{ only: 'half-close' }, 'ERR_INVALID_ARG_TYPE', /^The "only" argument must be an array of case names\. /],
      [{ onStart: 1 }, 'ERR_INVALID_ARG_TYPE', /^The "options\.onStart" argument must be of type function\. /],
      [{ onProgress: 'x' }, 'ERR_INVALID_ARG_TYPE', /^The "options\.onProgress" argument must be of type function\. /],
      [{ wire: 'yes' }, 'ERR_INVALID_ARG_TYPE', /^The "options\.wire" argument must be of type boolean\. /],
      [null, 'ERR_INVALID_ARG_TYPE', /^The "options" argument must be of type object\. /],
    ];
    for (const [options, code, message] of refusals) {
      await expect(runCatalog(options as never), JSON.stringify(options)).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message),
      });
    }
  });
});
