// scripts/arm64-run boots an arm64 kernel under qemu-system-aarch64 for npm run check:arm64
// (about a minute, root, downloads), so the suite only checks that the runner is there, parses,
// and answers a usage error before it touches apt, qemu or the cache.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RUNNER = fileURLToPath(new URL('../scripts/arm64-run', import.meta.url));
const CACHE = '/nonexistent/arm64-run-test';

describe('scripts/arm64-run', () => {
  it('is an executable bash script that parses', () => {
    accessSync(RUNNER, constants.X_OK);
    expect(spawnSync('bash', ['-n', RUNNER]).status).toBe(0);
  });

  it('prints its usage and exits 2 without a command, creating no cache', () => {
    const out = spawnSync(RUNNER, ['--'], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, ARM64_RUN_CACHE: CACHE } });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('usage: arm64-run [--] <command> [args...]');
    expect(existsSync(CACHE)).toBe(false);
  });
});
