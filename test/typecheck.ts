// Type-checks TypeScript written as a user writes it: ES modules that import 'sockctl',
// 'sockctl/testing' or 'sockctl/vitest' by name, compiled under `strict` against the package's
// built declarations (dist/, reached through package.json "exports" like an installed copy).
// The files are virtual (nothing is written), placed in the package's root so that the name
// 'sockctl' resolves to this package and 'vitest' to its node_modules.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Source {
  /** Name of the virtual file, relative to the package root (an .mts file: an ES module). */
  name: string;
  code: string;
}

export interface Diagnostic {
  name: string;
  /** 1-based line in `code`. */
  line: number;
  code: number;
  message: string;
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  // What a project without skipLibCheck sees: the package's own declarations are checked too.
  skipLibCheck: false,
};

/**
 * Compiles the sources together under `strict` and returns the errors found in them or in
 * sockctl's own declarations (other libraries' are theirs to keep).
 */
export function typecheck(sources: Source[]): Diagnostic[] {
  const virtual = new Map(sources.map((s) => [path.join(ROOT, s.name), s]));
  const host = ts.createCompilerHost(OPTIONS);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file)?.code ?? readFile.call(host, file);
  host.getSourceFile = (file, language, onError, create) => {
    const own = virtual.get(file);
    if (own) return ts.createSourceFile(file, own.code, language, true);
    return getSourceFile.call(host, file, language, onError, create);
  };
  const program = ts.createProgram([...virtual.keys()], OPTIONS, host);
  const ours = (file: string | undefined) =>
    file !== undefined && (virtual.has(file) || file.startsWith(path.join(ROOT, 'dist') + path.sep));
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || ours(d.file.fileName))
    .map((d) => ({
      name: d.file ? path.relative(ROOT, d.file.fileName) : '(program)',
      line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
      code: d.code,
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    }));
}

/** The JavaScript Node runs for an .mts source (types stripped, imports left as written). */
export function transpile(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false },
  }).outputText;
}
