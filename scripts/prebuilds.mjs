// The prebuilt binaries the npm package ships and what each one promises: its CPU, and the oldest
// glibc and libstdc++ it loads with (the README's platform table states the same floors).
// `inspectPrebuild` reads the ELF file with binutils' readelf (any CPU's ELF) and returns what
// does not hold, so scripts/check-package.mjs and scripts/check-arm64.mjs fail on it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// Version floors per symbol-version prefix: every GLIBC_x the binary needs must be <= glibc, and
// so on. GLIBCXX_3.4.21 and CXXABI_1.3.9 are GCC 5's libstdc++ (the C++11 std::string and
// sized delete), which is also what Node's own binaries need.
const LIBSTDCXX_GCC5 = { GLIBCXX: '3.4.21', CXXABI: '1.3.9', GCC: '3.0' };
export const PREBUILDS = [
  {
    arch: 'x64',
    file: 'prebuilds/linux-x64/sockctl.glibc.node',
    machine: 'Advanced Micro Devices X86-64',
    floor: { GLIBC: '2.14', ...LIBSTDCXX_GCC5 },
  },
  {
    arch: 'arm64',
    file: 'prebuilds/linux-arm64/sockctl.glibc.node',
    machine: 'AArch64',
    // 2.17 is the first glibc for aarch64: every arm64 glibc has every symbol at that version.
    floor: { GLIBC: '2.17', ...LIBSTDCXX_GCC5 },
  },
];

// What the binary may link against: the C++ runtime, libc and the dynamic loader, nothing that
// a minimal image (a distroless or slim container) might lack.
const ALLOWED_NEEDED = /^(libstdc\+\+\.so\.6|libgcc_s\.so\.1|libc\.so\.6|libm\.so\.6|ld-linux-[\w-]+\.so\.\d)$/;

const compareVersions = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return 0;
};

const readelf = (args, file) => execFileSync('readelf', ['-W', ...args, file], { encoding: 'utf8' });

/**
 * The ELF facts of one prebuild and the ways it breaks its promise (`problems`, empty when it
 * keeps it). `root` is the directory the prebuild's relative path starts from.
 */
export function inspectPrebuild(prebuild, root) {
  const file = path.join(root, prebuild.file);
  if (!fs.existsSync(file)) return { problems: [`${prebuild.file} is missing: run npm run build:prebuild`] };
  const machine = readelf(['-h'], file)
    .match(/^\s*Machine:\s*(.+)$/m)?.[1]
    .trim();
  const sections = readelf(['-S'], file);
  const stripped = !/\s\.symtab\s/.test(sections) && !/\s\.debug_/.test(sections);
  const needed = [...readelf(['-d'], file).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  // Highest version needed per prefix (GLIBC_2.14, GLIBCXX_3.4.21, ...), from the version-needs
  // section: what the dynamic loader checks before it maps the binary.
  const versions = {};
  const needs =
    readelf(['-V'], file)
      .split(/\n(?=Version needs section)/)
      .find((s) => s.startsWith('Version needs')) ?? '';
  for (const [, prefix, version] of needs.matchAll(/Name: ([A-Z]+)_([\d.]+)/g)) {
    if (!versions[prefix] || compareVersions(version, versions[prefix]) > 0) versions[prefix] = version;
  }
  const problems = [];
  if (machine !== prebuild.machine) problems.push(`machine is ${machine}, not ${prebuild.machine}`);
  if (!stripped) problems.push('not stripped (.symtab or .debug_* sections present)');
  for (const lib of needed) if (!ALLOWED_NEEDED.test(lib)) problems.push(`links ${lib}`);
  for (const [prefix, version] of Object.entries(versions)) {
    const floor = prebuild.floor[prefix];
    if (!floor) problems.push(`needs ${prefix}_${version}, a library the floor does not name`);
    else if (compareVersions(version, floor) > 0) problems.push(`needs ${prefix}_${version}, above the floor ${prefix}_${floor}`);
  }
  if (!versions.GLIBC) problems.push('needs no GLIBC version: not a glibc binary?');
  return { machine, stripped, size: fs.statSync(file).size, needed, versions, problems };
}
