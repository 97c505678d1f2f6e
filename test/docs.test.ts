// Every TypeScript block in docs/*.md, and the README's fault-fixture section, is code a user
// will paste into a strict TypeScript project: each compiles here as an ES module of its own
// (top-level await, `await using`) against the built package, imported by name (`sockctl`,
// `sockctl/testing`) through its own "exports" map, as a user's project would. Nothing is
// written to disk: the blocks are served to the compiler from memory.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

function blocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

function readmeFaultSection(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Fault fixtures');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

const sources: Array<[string, string]> = [
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name): [string, string] => [`docs/${name}`, readFileSync(path.join(ROOT, 'docs', name), 'utf8')]),
  ['README.md (fault fixtures)', readmeFaultSection()],
];

describe('TypeScript in the docs', () => {
  it('every ```ts block compiles under strict TypeScript against the built package', () => {
    const files = new Map<string, string>();
    for (const [name, text] of sources) {
      blocks(text).forEach((code, i) => {
        // Inside the package, so `sockctl` resolves to itself through package.json "exports".
        files.set(path.join(ROOT, '.docs-check', `${name.replace(/\W+/g, '-')}-${i}.mts`), `${code}\nexport {};\n`);
      });
    }
    expect(files.size).toBeGreaterThan(5);
    const options: ts.CompilerOptions = {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      noEmit: true,
      skipLibCheck: true,
    };
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
    host.readFile = (file) => files.get(file) ?? readFile.call(host, file);
    host.getSourceFile = (file, language, ...rest) => {
      const text = files.get(file);
      return text === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, text, language, true);
    };
    const program = ts.createProgram([...files.keys()], options, host);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
  });
});
