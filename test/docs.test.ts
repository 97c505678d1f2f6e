// Every TypeScript block of docs/*.md is code a user pastes into a strict TypeScript project: each
// is type-checked as an ES module of its own inside this package, importing `sockctl` and
// `sockctl/testing` by name, so they resolve through package.json "exports" to the built
// declarations (dist/, which `npm test` builds first), exactly as a dependent project sees them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const docs = path.join(root, 'docs');

interface Block {
  doc: string;
  line: number;
  code: string;
}

function blocksOf(file: string): Block[] {
  const text = readFileSync(path.join(docs, file), 'utf8');
  const blocks: Block[] = [];
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    blocks.push({ doc: file, line: text.slice(0, match.index).split('\n').length + 1, code: match[1] });
  }
  return blocks;
}

const blocks = readdirSync(docs)
  .filter((f) => f.endsWith('.md'))
  .flatMap(blocksOf);

// Type-checking does not depend on the binary or on the Node version that runs the suite: the runs
// on the prebuild (four Node versions) and under ASan skip these few seconds.
const sameAsSourceRun = Boolean(process.env.PREBUILDS_ONLY || process.env.SOCKCTL_SANITIZED);

describe.skipIf(sameAsSourceRun)('TypeScript blocks in docs/', () => {
  it('there are some, in docs/sockets.md at least', () => {
    expect(blocks.filter((b) => b.doc === 'sockets.md').length).toBeGreaterThanOrEqual(4);
  });

  it('each compiles under strict TypeScript against the published types', () => {
    // In memory, as if each block were a file in docs/: nothing is written (the suite also runs
    // as a user who may not write in the tree), and resolution starts inside this package.
    const files = new Map(
      blocks.map((b, i) => [path.join(docs, `${b.doc.replace(/\W/g, '-')}-${b.line}-${i}.mts`), `${b.code}\nexport {};\n`]),
    );
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      types: ['node'],
      skipLibCheck: true,
    };
    const host = ts.createCompilerHost(options);
    const { fileExists, readFile, getSourceFile } = host;
    host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
    host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
    host.getSourceFile = (name, language, ...rest) => {
      const text = files.get(name);
      return text === undefined ? getSourceFile.call(host, name, language, ...rest) : ts.createSourceFile(name, text, language);
    };
    const program = ts.createProgram([...files.keys()], options, host);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? path.basename(d.file.fileName) : '';
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${where}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
  }, 60_000);
});
