#!/usr/bin/env node
// Checks what `npm install sockctl` gives a user, from the tarball `npm pack` makes:
//  0. first, each prebuild it ships (linux-x64, linux-arm64) is an ELF file for its CPU,
//     stripped, linking only the C++ runtime and libc, and needing no glibc / libstdc++ symbol
//     version above the floor scripts/prebuilds.mjs states for it (the README's platform table
//     says the same); scripts/check-arm64.mjs runs the arm64 one;
//  1. the tarball holds exactly the expected files (computed from src/ and native/, so new
//     modules and sources are expected without editing this script);
//  2. it installs into a fresh project with no compiler reachable (cc, c++, make, python3 off
//     PATH, CC/CXX=false), once as npm does by default (dependency scripts blocked) and once
//     with install scripts allowed (node-gyp-build must find the prebuild and build nothing);
//  3. `import { tcpInfo } from 'sockctl'` and `require('sockctl')` work there, and the binary
//     mapped into the process is the shipped prebuild (on this Node and on each --node given);
//  4. both resolve to typed declarations under tsc's node16 resolution (.mts and .cts);
//  5. the CLI runs from the installed package (`npx sockctl --list`), once dist/cli/cli.js exists.
// Needs `npm run build:prebuild` first.
// Usage: node scripts/check-package.mjs [--keep] [--node /path/to/other/node ...]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { inspectPrebuild, PREBUILDS } from './prebuilds.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const smokeDir = path.join(root, 'scripts', 'package-smoke');
// The prebuild this machine loads (the smoke below runs it); the tarball holds them all.
const prebuild = PREBUILDS.find((p) => p.arch === process.arch)?.file ?? fail(`no prebuild for ${process.arch}`);
const { values: options } = parseArgs({
  options: { keep: { type: 'boolean' }, node: { type: 'string', multiple: true } },
});
const nodes = [process.execPath, ...(options.node ?? []).map((file) => path.resolve(file))];

function fail(message) {
  console.error(`check-package: FAIL: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: 'pipe', ...options });
  if (result.status !== 0) {
    fail(`${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** dist/ files tsc emits for one source file, or none for a declaration-only source. */
function emitted(relative) {
  if (relative.endsWith('.d.ts')) return [];
  if (relative.endsWith('.mts')) {
    const base = relative.slice(0, -'.mts'.length);
    return [`dist/${base}.mjs`, `dist/${base}.d.mts`];
  }
  if (relative.endsWith('.ts')) {
    const base = relative.slice(0, -'.ts'.length);
    return [`dist/${base}.js`, `dist/${base}.d.ts`];
  }
  return [];
}

function gitFiles(dir) {
  const out = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '--', dir], {
    cwd: root,
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

function expectedFiles() {
  const sources = gitFiles('src').map((file) => path.posix.relative('src', file));
  return [
    'package.json',
    'README.md',
    'LICENSE',
    'binding.gyp',
    ...PREBUILDS.map((p) => p.file),
    ...gitFiles('native'),
    ...sources.flatMap(emitted),
  ].sort();
}

// 0. What the binaries promise, before anything is packed.
for (const p of PREBUILDS) {
  const found = inspectPrebuild(p, root);
  if (found.problems.length) fail(`${p.file}: ${found.problems.join('; ')}`);
  const needs = Object.entries(found.versions)
    .map(([prefix, version]) => `${prefix}_${version}`)
    .join(', ');
  console.log(
    `ok: ${p.file}: ${found.machine}, stripped, ${found.size} bytes, links ${found.needed.join(' ')}, ` +
      `needs at most ${needs}`,
  );
}

// 1. The tarball and its exact file list. build:dist (what prepare runs) empties dist/ first, so
// no file of a removed module lingers in it; pack itself then runs no script, which keeps its
// --json output clean.
run('npm', ['run', '--silent', 'build:dist'], { cwd: root });

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sockctl-package-'));
const packed = JSON.parse(
  run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root }).stdout,
)[0];
const tarball = path.join(work, packed.filename);
const actual = packed.files.map((file) => file.path).sort();
const expected = expectedFiles();
const extra = actual.filter((file) => !expected.includes(file));
const missing = expected.filter((file) => !actual.includes(file));
console.log(
  `tarball: ${packed.filename}, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ` + `${actual.length} files`,
);
for (const file of packed.files) console.log(`  ${String(file.size).padStart(7)}  ${file.path}`);
if (extra.length || missing.length) {
  fail(
    `tarball files differ from the expected list\n  unexpected: ${extra.join(', ') || '-'}\n` +
      `  missing: ${missing.join(', ') || '-'}`,
  );
}
console.log('ok: the tarball holds exactly the expected files');

// 2. A PATH with node, npm, npx and sh (npm runs scripts through it) only: no compiler, make
// or python can be found.
const bin = path.join(work, 'bin');
fs.mkdirSync(bin);
const npmCli = fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
fs.symlinkSync(process.execPath, path.join(bin, 'node'));
fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
fs.symlinkSync(npmCli, path.join(bin, 'npm'));
fs.symlinkSync(path.join(path.dirname(npmCli), 'npx-cli.js'), path.join(bin, 'npx'));
const env = {
  HOME: process.env.HOME ?? os.homedir(),
  PATH: bin,
  CC: 'false',
  CXX: 'false',
  MAKE: 'false',
  CI: 'true',
  npm_config_cache: path.join(work, 'npm-cache'),
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};
for (const tool of ['cc', 'c++', 'gcc', 'g++', 'make', 'python3']) {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { env, encoding: 'utf8' });
  if (found.status === 0) fail(`${tool} is reachable in the no-compiler environment: ${found.stdout}`);
}

const cliShipped = actual.includes('dist/cli/cli.js');
const cliSource = gitFiles('src').some((file) => /^src\/cli\/cli\.(ts|mts|cts)$/.test(file));
if (cliSource && !cliShipped) fail('src/cli/cli.ts exists but dist/cli/cli.js is not in the tarball');

function installAndRun(label, installArgs) {
  const app = path.join(work, label);
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: `app-${label}`, private: true }));
  const start = process.hrtime.bigint();
  run('npm', ['install', '--no-package-lock', ...installArgs, tarball], { cwd: app, env });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`install (${label}): ${seconds.toFixed(1)} s without a compiler`);

  const installed = path.join(app, 'node_modules', 'sockctl');
  if (fs.existsSync(path.join(installed, 'build'))) fail(`${label}: the install built from source`);
  const shipped = fs.realpathSync(path.join(installed, prebuild));

  for (const file of fs.readdirSync(smokeDir)) fs.copyFileSync(path.join(smokeDir, file), path.join(app, file));
  for (const [node, script] of nodes.flatMap((node) => [
    [node, 'esm.mjs'],
    [node, 'cjs.cjs'],
  ])) {
    const line = run(node, [script], { cwd: app, env }).stdout.trim();
    const result = JSON.parse(line);
    if (result.state !== 'ESTABLISHED') fail(`${label} ${script}: tcpInfo state ${result.state}`);
    if (result.binaries.length !== 1 || result.binaries[0] !== shipped) {
      fail(`${label} ${script}: mapped ${result.binaries.join(', ')}, not ${shipped}`);
    }
    if (result.sameAsRequire === false) fail(`${label} ${script}: import and require give different functions`);
    const version = run(node, ['--version'], { env }).stdout.trim();
    console.log(`ok (${label}, Node ${version}): ${line}`);
  }
  return app;
}

const appDefault = installAndRun('default', []);
installAndRun('scripts-allowed', ['--dangerously-allow-all-scripts', '--foreground-scripts']);

// 4. Types under node16 resolution: the .mts must get dist/index.d.mts, the .cts dist/index.d.ts.
fs.writeFileSync(
  path.join(appDefault, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: {
        module: 'node16',
        moduleResolution: 'node16',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules', '@types')],
      },
      files: ['esm-types.mts', 'cjs-types.cts'],
    },
    null,
    2,
  ),
);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const explained = run('node', [tsc, '-p', 'tsconfig.json', '--explainFiles'], { cwd: appDefault, env }).stdout;
for (const declaration of ['dist/index.d.mts', 'dist/index.d.ts']) {
  if (!explained.includes(`node_modules/sockctl/${declaration}`)) fail(`tsc did not use ${declaration}`);
}
console.log('ok: tsc (node16) type-checks an .mts import and a .cts require against the package types');

// 5. The CLI from the installed package.
if (cliShipped) {
  const listed = run('npx', ['--no-install', 'sockctl', '--list'], { cwd: appDefault, env }).stdout;
  console.log(`ok: npx sockctl --list\n${listed.trimEnd()}`);
} else {
  console.log('cli: not checked: this tree has no src/cli/cli.ts, so no dist/cli/cli.js to run (npx sockctl --list)');
}

if (options.keep) console.log(`kept: ${work}`);
else fs.rmSync(work, { recursive: true, force: true });
console.log('check-package: all checks passed');
