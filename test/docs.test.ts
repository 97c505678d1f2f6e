// The TypeScript in docs/*.md (and in the README's fault-fixture section) is code a user pastes
// into a strict project: each ```ts block is written out as its own ES module in a scratch
// project whose node_modules links `sockctl` to this package (resolved through its "exports",
// as from an install) and compiled with tsc --strict against the built declarations (dist/,
// which `npm test` builds first). Top-level await and `await using` included. The scratch
// project lives in the temporary directory: the suite also runs as a user who cannot write here.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Each page and the fewest blocks it has (a page that lost its examples fails too).
const PAGES: Array<[string, number]> = [
  ['docs/wire.md', 5],
  ['docs/sockets.md', 4],
  ['docs/faults.md', 5],
];

function blocks(text: string): string[] {
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

function readmeFaultSection(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Fault fixtures');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** tsc's complaints about `found`, each block compiled as its own module; '' when none. */
function compile(found: string[]): { output: string; status: number | null } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sockctl-doc-blocks-'));
  const modules = path.join(dir, 'node_modules');
  mkdirSync(path.join(modules, '@types'), { recursive: true });
  symlinkSync(ROOT, path.join(modules, 'sockctl'));
  symlinkSync(path.join(ROOT, 'node_modules', 'vitest'), path.join(modules, 'vitest'));
  symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(modules, '@types', 'node'));
  const files = found.map((code, i) => {
    const file = path.join(dir, `block-${i + 1}.mts`);
    // A block without imports is still a module of its own (top-level await needs one).
    writeFileSync(file, `${code}\nexport {};\n`);
    return file;
  });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,esnext.disposable', '--types', 'node', '--skipLibCheck', ...files];
  const out = spawnSync(process.execPath, [tsc, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  rmSync(dir, { recursive: true, force: true });
  return { output: out.stdout + out.stderr, status: out.status };
}

describe.each(PAGES)('%s', (page, fewest) => {
  it('has TypeScript blocks, and each compiles under strict TypeScript', () => {
    const found = blocks(readFileSync(path.join(ROOT, page), 'utf8'));
    expect(found.length).toBeGreaterThanOrEqual(fewest);
    const { output, status } = compile(found);
    expect(output, `tsc on ${page}`).toBe('');
    expect(status).toBe(0);
  }, 120_000);
});

describe("README's fault-fixture section", () => {
  it('its TypeScript compiles under strict TypeScript', () => {
    const found = blocks(readmeFaultSection());
    expect(found.length).toBeGreaterThanOrEqual(1);
    const { output, status } = compile(found);
    expect(output, 'tsc on the README fault section').toBe('');
    expect(status).toBe(0);
  }, 120_000);
});
