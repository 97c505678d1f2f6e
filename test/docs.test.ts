// The README and docs/ stay true: every TypeScript block compiles under `strict` against the
// package's built declarations, as a user's project would see them, and the runnable ones run
// (each as an ES module importing 'sockctl' by name); every export is named in the API page;
// every relative link leads somewhere; and the figures that could go stale are checked against
// what they describe (the catalog, the command's options and output, the published matrix).
//
// A block's comment just above its fence says what to do with it:
//   <!-- doc-test: run -->        compile it, then run it with node (exit 0 within the bound)
//   <!-- doc-test: compile -->    compile only (the default: it needs a test runner, a server...)
//   <!-- doc-test: prelude ... --> declarations compiled with the block but not shown
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import * as testing from '../src/testing.js';
import { catalog } from '../src/scenario/catalog/index.js';
import { ROOT, transpile, typecheck, type Diagnostic } from './typecheck.js';

/** Generated pages: their content is the generator's to keep (test/matrix.test.ts checks it). */
const GENERATED = new Set(['docs/matrix.md']);
const RUN_BOUND_MS = 60_000;
const README_MAX_LINES = 250;

const pages = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (page: string) => readFileSync(path.join(ROOT, page), 'utf8');

interface Block {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  run: boolean;
  prelude: string;
}

/** Every fenced block of a page, with the doc-test directives just above it. */
function blocks(page: string): Block[] {
  const lines = text(page).split('\n');
  const found: Block[] = [];
  let directives: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = lines[i].match(/^```(\w*)/);
    if (fence) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
      const prelude = directives
        .filter((d) => d.startsWith('prelude'))
        .map((d) => d.slice('prelude'.length))
        .join('\n');
      found.push({ page, line: start + 1, lang: fence[1], code: body.join('\n'), run: directives.includes('run'), prelude });
      directives = [];
      continue;
    }
    const comment = lines[i].match(/^<!-- doc-test: ([\s\S]*)$/);
    if (comment) {
      let content = comment[1];
      while (!content.includes('-->') && i + 1 < lines.length) content += `\n${lines[++i]}`;
      directives.push(content.replace(/-->\s*$/, '').trim());
    } else if (lines[i].trim() !== '') {
      directives = [];
    }
  }
  return found;
}

const ALL = pages.filter((p) => !GENERATED.has(p)).flatMap(blocks);
const TS = ALL.filter((b) => b.lang === 'ts' || b.lang === 'typescript');
const fileOf = (b: Block) => `.docs-test/${b.page.replace(/[/.]/g, '_')}_${b.line}.mts`;
// The prelude goes on the block's first line, so diagnostics keep the block's own line numbers.
const sourceOf = (b: Block) => `${b.prelude.replace(/\n/g, ' ')} ${b.code}`;

let diagnostics: Diagnostic[] = [];
beforeAll(() => {
  diagnostics = typecheck(TS.map((b) => ({ name: fileOf(b), code: sourceOf(b) })));
}, 120_000);

describe('TypeScript in the README and docs/', () => {
  it('has blocks to check, some of them runnable', () => {
    expect(TS.length).toBeGreaterThan(10);
    expect(TS.filter((b) => b.run).length).toBeGreaterThanOrEqual(4);
  });

  it('the package declarations themselves compile under strict', () => {
    expect(diagnostics.filter((d) => d.name.startsWith('dist'))).toEqual([]);
  });

  it.each(TS.map((b) => [`${b.page}:${b.line}`, b] as const))('%s compiles under strict', (_where, b) => {
    const errors = diagnostics
      .filter((d) => d.name === fileOf(b))
      .map((d) => `${b.page}:${b.line + d.line} TS${d.code} ${d.message}`);
    expect(errors).toEqual([]);
  });

  it.each(TS.filter((b) => b.run).map((b) => [`${b.page}:${b.line}`, b] as const))(
    '%s runs',
    (_where, b) => {
      // An ES module from stdin, in the package's root: 'sockctl' resolves to this package.
      const out = spawnSync(process.execPath, ['--input-type=module'], {
        input: transpile(sourceOf(b)),
        cwd: ROOT,
        encoding: 'utf8',
        timeout: RUN_BOUND_MS,
      });
      expect({ status: out.status, signal: out.signal, stderr: out.stderr }, out.stdout).toEqual({
        status: 0,
        signal: null,
        stderr: '',
      });
    },
    RUN_BOUND_MS + 5_000,
  );
});

describe('the API page', () => {
  const apiPage = text('docs/api.md');
  // Exact names: `tcpInfo` must not count as `tcpInfoLength` or `decodeTcpInfo`.
  const named = (name: string) =>
    new RegExp(`\`[^\`\\n]*(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])[^\`\\n]*\``).test(apiPage);
  it.each([...Object.keys(api), ...Object.keys(testing)])('names %s', (name) => {
    expect(named(name)).toBe(true);
  });

  it('the name check is exact: a prefix or a longer name does not count', () => {
    expect(named('tcpInf')).toBe(false);
    expect(named('InfoLength')).toBe(false);
    expect(named('tcpInfo')).toBe(true);
  });
});

describe('links', () => {
  // GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
  const anchors = (page: string) =>
    new Set(
      text(page)
        .split('\n')
        .filter((l) => /^#{1,6} /.test(l))
        .map((l) =>
          l
            .replace(/^#+ /, '')
            .toLowerCase()
            .replace(/[^\p{L}\p{N} _-]/gu, '')
            .replace(/ /g, '-'),
        ),
    );

  it.each(pages)('every relative link of %s leads to a file (and a heading) that exists', (page) => {
    const broken: string[] = [];
    for (const [, target] of text(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [file, anchor] = target.split('#');
      const resolved = file ? path.posix.normalize(path.posix.join(path.posix.dirname(page), file)) : page;
      if (!existsSync(path.join(ROOT, resolved))) broken.push(target);
      else if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });

  it('the README links every page of docs/ and stays a newcomer page', () => {
    const readme = text('README.md');
    for (const page of pages.filter((p) => p.startsWith('docs/'))) expect(readme, page).toContain(`(${page})`);
    expect(readme.split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });
});

describe('figures that could go stale', () => {
  const catalogPage = text('docs/catalog.md');

  it('the catalog page lists every case once, in catalog order', () => {
    const listed = [...catalogPage.matchAll(/^\| `([a-z][a-z0-9-]*)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(catalog.map((c) => c.name));
  });

  it("the catalog page lists every option of the command's --help", () => {
    const help = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'cli.js'), '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    const options = [...help.stdout.matchAll(/^ +(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]);
    expect(options.length).toBeGreaterThanOrEqual(6);
    for (const option of options) expect(catalogPage, option).toContain(`\`${option}`);
    expect(catalogPage).toContain('`compare <a.json>');
  });

  // A sample row is checked against what the command prints for that case now (times aside).
  // Skipped rows hold as printed wherever the case is skipped; here the requirement's name must be
  // the one the case has.
  it.each(pages)('sample table rows in %s are what the command prints', (page) => {
    const samples = blocks(page).filter((b) => b.lang === '' && b.code.startsWith('case ') && b.code.includes('│'));
    for (const sample of samples) {
      const rows = sample.code.split('\n').slice(2);
      const starts = rows.map((r, i) => [r, i] as const).filter(([r]) => /^[a-z]/.test(r));
      for (const [k, [first, i]] of starts.entries()) {
        const name = first.split(' ')[0];
        const c = catalog.find((x) => x.name === name);
        expect(c, name).toBeDefined();
        const skip = first.match(/│ skipped \(v4\+v6\): needs (.*)$/);
        if (skip) {
          expect(c?.requires.map((r) => r.name)).toContain(skip[1]);
          continue;
        }
        expect(c?.requires, `${name}: only cases that need no privilege can be checked here`).toEqual([]);
        const end = k + 1 < starts.length ? starts[k + 1][1] : rows.length;
        const shown = rows.slice(i, end);
        const out = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'cli.js'), '--only', name], {
          encoding: 'utf8',
          timeout: 30_000,
        });
        const printed = out.stdout.split('\n');
        const at = printed.findIndex((l) => l.startsWith(`${name} `));
        const times = (lines: string[]) => lines.map((l) => l.replace(/│ \d+ ms +│/, '│ # ms │'));
        expect(times(printed.slice(at, at + shown.length)), `${page}: ${name}`).toEqual(times(shown));
      }
    }
  });

  it("the Node view page's fetch-reset-at-accept table agrees with the published matrix", () => {
    const matrix = JSON.parse(text('docs/matrix.json')) as { cases: Array<{ name: string; node: Record<string, string> }> };
    const row = matrix.cases.find((c) => c.name === 'fetch-reset-at-accept');
    expect(row).toBeDefined();
    const cell = (id: string) => JSON.stringify(row?.node[id]);
    expect(cell('node-20')).toMatch(/fetch: no outcome within/);
    for (const id of ['node-22', 'node-24', 'node-26']) expect(cell(id), id).toMatch(/fetch rejects TypeError, cause ECONNRESET/);
    expect(text('docs/node-view.md')).toMatch(/\| `fetch`, the first of the process \| \*\*never settles\*\*/);
  });
});
