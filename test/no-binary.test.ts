// Where no shipped binary fits (another CPU, musl) or the one found cannot be loaded, importing
// sockctl must fail with ERR_SOCKCTL_NO_BINARY — the error that tells how to build from source —
// not with node-gyp-build's own message or a dlopen error. Run in a copy of the package whose
// prebuilds/ is made to miss, in a child process (the loader runs once per process).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '../src/index.js';

const root = path.join(__dirname, '..');
const copies: string[] = [];
// The binary this suite runs on (build/ or prebuilds/), as mapped into this process by the import
// above.
const loadedBinary = readFileSync('/proc/self/maps', 'utf8')
  .split('\n')
  .map((line) => line.split(/\s+/)[5])
  .find((file) => file && /sockctl[^/]*\.node$/.test(file)) as string;

/** A copy of the package (dist/, package.json) with no build/, and `prebuild` files written. */
function packageCopy(prebuilds: Record<string, Buffer | string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sockctl-no-binary-'));
  copies.push(dir);
  cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  cpSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  for (const [file, data] of Object.entries(prebuilds)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), data);
  }
  return dir;
}

function load(dir: string) {
  const script = `try { require(${JSON.stringify(path.join(dir, 'dist', 'index.js'))}); console.log('{"loaded":true}'); }
    catch (e) { console.log(JSON.stringify({ code: e.code, causeCode: e.cause && e.cause.code, message: e.message })); }`;
  const out = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, PREBUILDS_ONLY: '' },
  });
  return JSON.parse(out.stdout) as { loaded?: boolean; code?: string; causeCode?: string; message?: string };
}

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

describe('a package without a binary for this system', () => {
  it('throws ERR_SOCKCTL_NO_BINARY when no prebuild is there for this CPU', () => {
    const other = process.arch === 'arm64' ? 'x64' : 'arm64';
    const result = load(packageCopy({ [`prebuilds/linux-${other}/sockctl.glibc.node`]: 'not this CPU' }));
    expect(result.code).toBe('ERR_SOCKCTL_NO_BINARY');
  });

  it('throws ERR_SOCKCTL_NO_BINARY, with the dlopen failure as cause, for a file that is no loadable ELF', () => {
    const result = load(packageCopy({ [`prebuilds/linux-${process.arch}/sockctl.glibc.node`]: Buffer.from('\x7fELF garbage') }));
    expect(result.code).toBe('ERR_SOCKCTL_NO_BINARY');
    expect(result.causeCode).toBe('ERR_DLOPEN_FAILED');
  });

  it('loads in the same copy when the binary this suite runs is put there as the prebuild', () => {
    const result = load(packageCopy({ [`prebuilds/linux-${process.arch}/sockctl.glibc.node`]: readFileSync(loadedBinary) }));
    expect(result).toEqual({ loaded: true });
  });
});
