// Running part of the suite's subject as uid 65534 from a test that runs as root. uid 65534 may
// not be able to enter the clone at all (a clone under root's 0700 home), so what such a child
// loads — dist/, the loaded .node file, node-gyp-build, and any extra file — is copied into a
// fresh directory under the temp dir that every user can read.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativePath } from '../src/controls/native.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** setpriv arguments that drop to uid/gid 65534 with no groups and no capabilities. */
export const NOBODY = ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps=-all'];

// Root of the initial user namespace only: inside `unshare -U`, uid 0 cannot become 65534,
// which is not mapped there. The initial namespace maps all 2^32 - 1 ids onto themselves.
export const isRoot =
  process.getuid?.() === 0 && readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') === '0 0 4294967295';

export interface Stage {
  /** The copy's root: `dist/`, `package.json`, the .node file and the extra files under it. */
  root: string;
  /** Why uid 65534 cannot read the copy (the temp dir is closed to it), or '' when it can. */
  unreadable: string;
  remove(): void;
}

/** Copies what a child loads (plus `extra` files, relative to the clone) for uid 65534 to read. */
export function stageForNobody(extra: string[] = []): Stage {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sockctl-nobody-'));
  const copy = (from: string, to: string) => cpSync(from, path.join(root, to), { recursive: true });
  copy(path.join(ROOT, 'package.json'), 'package.json');
  copy(path.join(ROOT, 'dist'), 'dist');
  copy(nativePath, path.relative(ROOT, nativePath));
  copy(path.dirname(createRequire(import.meta.url).resolve('node-gyp-build/package.json')), 'node_modules/node-gyp-build');
  for (const file of extra) copy(path.join(ROOT, file), file);
  // mkdtemp makes the directory 0700, and copies keep the clone's modes (a clone made under
  // umask 077 has files only root reads): open everything up for reading.
  const open = (dir: string) => {
    chmodSync(dir, 0o755);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) open(path.join(dir, entry.name));
      else chmodSync(path.join(dir, entry.name), 0o644);
    }
  };
  open(root);
  const probe = spawnSync('setpriv', [...NOBODY, 'test', '-r', path.join(root, 'package.json')], { timeout: 10_000 });
  return {
    root,
    unreadable: probe.status === 0 ? '' : `uid 65534 cannot read ${root}: the temp dir ${os.tmpdir()} is closed to it`,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * What the privilege tests may do here: `isRoot` (above), `netns` (whether runInNetns() works),
 * and `noRoot`/`noNetns`, the skip reasons for test names ('' when the tests can run).
 */
export function privileges(canUseNetns: () => { ok: boolean; reason?: string }) {
  const netns = canUseNetns();
  return {
    isRoot,
    netns,
    noRoot: isRoot ? '' : ' (skipped: switching to uid 65534 needs root of the initial user namespace)',
    noNetns: netns.ok ? '' : ` (skipped: ${netns.reason})`,
  };
}
