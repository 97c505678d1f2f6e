// scripts/kernel-run boots other kernels for `npm run matrix` and .ci/run. Booting one takes
// minutes under emulation, so the suite only checks that the runner is there and answers
// usage errors before it touches apt, qemu or the cache.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const RUNNER = fileURLToPath(new URL('../scripts/kernel-run', import.meta.url));
const run = (...args: string[]) => runWith({}, ...args);
const runWith = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(RUNNER, args, {
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, KERNEL_RUN_CACHE: '/nonexistent/kernel-run-test', ...env },
  });

describe('scripts/kernel-run', () => {
  it('is an executable bash script that parses', () => {
    accessSync(RUNNER, constants.X_OK);
    expect(spawnSync('bash', ['-n', RUNNER]).status).toBe(0);
  });

  it('prints its usage and exits 2 without a command', () => {
    const out = run();
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('usage: kernel-run <6.1|6.12|linux-image-PKGNAME> [--] <command> [args...]');
    expect(out.stderr).toContain('124 on timeout');
  });

  it('refuses an unknown kernel series with exit 125 before downloading anything', () => {
    const out = run('5.10', '--', 'true');
    expect(out.status).toBe(125);
    expect(out.stderr).toContain("unknown kernel series '5.10'");
  });

  it('refuses a module it does not carry with exit 125 before downloading anything', () => {
    const out = runWith({ KERNEL_RUN_MODULES: 'tcp_diag nf_tables' }, '6.1', '--', 'true');
    expect(out.status).toBe(125);
    expect(out.stderr).toContain('KERNEL_RUN_MODULES: nf_tables is not one of: inet_diag tcp_diag');
  });
});
