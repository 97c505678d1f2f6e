// Where no shipped binary fits (another CPU, musl) or the one found cannot be loaded, importing
// sockctl must fail with ERR_SOCKCTL_NO_BINARY — the error that tells how to build from source —
// not with node-gyp-build's own message or a dlopen error. Run in a copy of the package whose
// prebuilds/ is made to miss, in a child process (the loader runs once per process).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
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

// The same loader run again in this process on its TypeScript source, with node-gyp-build made to
// find nothing or the platform made another one: the whole message a user reads.
describe('the loader, re-run in this process', () => {
  // A new instance of native.ts alone (a query makes it another module): the modules it imports
  // stay the ones already loaded, only node-gyp-build and node:fs are the mocks below.
  let loads = 0;
  const freshLoader = () => import(/* @vite-ignore */ `../src/controls/native.js?load=${++loads}`);

  const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
  afterEach(() => {
    Object.defineProperty(process, 'platform', platform);
    vi.doUnmock('node-gyp-build');
    vi.doUnmock('node:fs');
  });

  async function reload(libc: 'glibc' | 'musl'): Promise<Error & { code?: string; cause?: unknown }> {
    const missing = Object.assign(new Error('No native build was found'), { code: 'MODULE_NOT_FOUND' });
    vi.doMock('node-gyp-build', () => ({
      default: Object.assign(() => undefined, {
        resolve: () => {
          throw missing;
        },
      }),
    }));
    vi.doMock('node:fs', async (original) => {
      const fs = await original<typeof import('node:fs')>();
      const existsSync = (file: string) => (file === '/etc/alpine-release' ? libc === 'musl' : fs.existsSync(file));
      return { ...fs, default: { ...fs, existsSync }, existsSync };
    });
    const error = await freshLoader().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as { cause?: unknown }).cause).toBe(missing);
    return error as Error & { code?: string };
  }

  it('names the system, the libc, the Node version, and both ways to build', async () => {
    for (const libc of ['glibc', 'musl'] as const) {
      const error = await reload(libc);
      expect(error.code).toBe('ERR_SOCKCTL_NO_BINARY');
      expect(error.message).toBe(
        `sockctl: no native binary fits linux-${process.arch} with ${libc} (Node ${process.version}, N-API). ` +
          'Prebuilds ship for linux-x64 and linux-arm64 with glibc; other CPUs and musl (Alpine) need a ' +
          "source build: install a C++ toolchain (g++, make) and Python, then allow the package's install " +
          'script and rerun it (npm 11: `npm install-scripts approve sockctl && npm rebuild sockctl`), or ' +
          `run \`npx node-gyp rebuild\` in ${root}.`,
      );
    }
  });

  it('on another system says Linux only before looking for a binary', async () => {
    Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
    const error = await freshLoader().then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(error).toMatchObject({
      code: 'ERR_SOCKCTL_UNSUPPORTED_PLATFORM',
      message: `sockctl supports Linux only (this is darwin-${process.arch})`,
    });
  });
});
