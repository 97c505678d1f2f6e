#!/usr/bin/env node
// `npm run catalog [-- options]`: the `sockctl` command of this clone, run from its own dist/.
// (`npx sockctl` in a clone would install the clone into npx's cache and run it from there.)
// dist/ is what `npm install` / `npm ci` built (the `prepare` script); when a file under src/ is
// newer, it is rebuilt first, so the command always runs the code in front of you.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli', 'cli.js');

function newestUnder(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(file) : fs.statSync(file).mtimeMs);
  }
  return newest;
}

const built = fs.existsSync(cli) ? fs.statSync(cli).mtimeMs : 0;
if (built < newestUnder(path.join(root, 'src'))) {
  process.stderr.write(
    `sockctl: ${built ? 'src/ changed since dist/ was built' : 'dist/ is missing'}: building it (npm run build:ts)\n`,
  );
  const tsc = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
  if (tsc.status !== 0) {
    process.stderr.write(`sockctl: the build failed${tsc.error ? `: ${tsc.error.message} (run npm ci first)` : ''}\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(cli).href);
