// Every catalog case's Node view, run from src/ (the CLI tests run dist/), checked against the
// published matrix column of the running Node major (docs/matrix/node-<major>.json, recorded by
// `npm run matrix` as root on the host kernel): the first error Node reported and whether
// 'close' said hadError. Where the published column does not apply — another Node major, another
// kernel series, or a privilege the recorded run had and this one lacks — the check says why it
// is skipped.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCatalog, type CaseRun, type CatalogRun } from '../src/index.js';

const major = process.versions.node.split('.')[0];
const file = fileURLToPath(new URL(`../docs/matrix/node-${major}.json`, import.meta.url));
const published: CatalogRun | undefined = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
const series = (release: string) => release.match(/^(\d+\.\d+)/)?.[1];
const why = !published
  ? `no published Node view for Node ${major}`
  : series(published.environment.kernel) !== series(os.release())
    ? `the published Node view ran on Linux ${series(published.environment.kernel)}, this is ${series(os.release())}`
    : '';

let run: CatalogRun;
beforeAll(async () => {
  if (!why) run = await runCatalog({ families: [4, 6] });
}, 60_000);

const key = (r: CaseRun) => `${r.name}/v${r.family}`;

describe.skipIf(why)(`Node views against the published Node ${major} column${why ? ` (skipped: ${why})` : ''}`, () => {
  it('covers the same cases and families', () => {
    expect(run.results.map(key)).toEqual(published!.results.map(key));
  });

  it.each(published?.results.filter((r) => r.node).map((r) => [key(r), r] as const) ?? [])('%s', (name, recorded) => {
    const now = run.results.find((r) => key(r) === name);
    if (now?.verdict === 'skipped' || now?.node?.skipped !== undefined) return; // a privilege this run lacks
    expect(now?.node, `${name} has a Node view`).toBeDefined();
    expect(now?.node?.events.some((e) => e.startsWith('(node view failed'))).toBe(false);
    expect({ errorCode: now?.node?.errorCode, hadError: now?.node?.hadError }).toEqual({
      errorCode: recorded.node?.errorCode,
      hadError: recorded.node?.hadError,
    });
    expect(now?.node?.events.length).toBeGreaterThan(0);
  });
});
