import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canBlackhole } from '../src/index.js';
import { canCapture } from '../src/raw/capture.js';
import { catalog } from '../src/scenario/catalog/index.js';
import { isRoot, NOBODY, stageForNobody } from './nobody.js';

const CLI = fileURLToPath(new URL('../dist/cli/cli.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });

// As root, the CLI also runs as uid 65534, from a copy that uid can read.
const stage = isRoot ? stageForNobody() : undefined;
afterAll(() => stage?.remove());

/** Runs the CLI with both outputs piped and notes when stdout's first bytes came. */
function timed(
  args: string[],
): Promise<{ firstStdoutMs: number; exitMs: number; stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let firstStdoutMs = -1;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (firstStdoutMs < 0) firstStdoutMs = performance.now() - started;
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ firstStdoutMs, exitMs: performance.now() - started, stdout, stderr, status }));
  });
}

describe('sockctl CLI', () => {
  it('--list names every case', () => {
    const out = run('--list');
    expect(out.status).toBe(0);
    for (const c of catalog) expect(out.stdout).toContain(c.name);
  });

  it('--json gives the environment and one object per case and family, with steps', () => {
    const out = run('--json', '--only', 'unread-data-close', 'connect-refused');
    expect(out.status, out.stderr).toBe(0);
    const data = JSON.parse(out.stdout);
    expect(data.environment).toMatchObject({
      node: process.version,
      families: [4, 6],
      kernel: os.release(),
      kernelVersion: os.version(),
    });
    expect(data.environment.tcpInfoLength).toBeGreaterThanOrEqual(104);
    expect(Object.keys(data.environment.probes)).toEqual(['blackhole', 'kill', 'capture', 'forge', 'snapshot']);
    expect(data.environment.snapshotTcpInfoLength).toBe(data.environment.tcpInfoLength);
    expect(data.results.map((r: { name: string; family: number }) => `${r.name}/${r.family}`)).toEqual([
      'unread-data-close/4',
      'unread-data-close/6',
      'connect-refused/4',
      'connect-refused/6',
    ]);
    const first = data.results[0];
    expect(first.raw.verdict).toBe('pass');
    expect(first.raw.actual).toEqual(['ok', 'ok', 'ok', 'ECONNRESET', 'EPIPE', 'EOF']);
    expect(first.node.errorCode).toBe('ECONNRESET');
  });

  it('prints the table with the verdicts and the errno coverage', () => {
    const out = run('--only', 'connect-refused', '--family', '4');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/connect-refused v4/);
    expect(out.stdout).toMatch(/ECONNREFUSED/);
    expect(out.stdout).toMatch(/EPROTO\s+not produced by Linux TCP/);
    expect(out.stdout).toMatch(/1 passed, 0 failed, 0 skipped/);
  });

  it('--trace shows every step with its syscall and state', () => {
    const out = run('--trace', '--only', 'close-wait-write', '--family', '6');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/client\s+send\s+send\s+'x'\s+→ ok/);
    expect(out.stdout).toMatch(/client\s+recv\s+recv\s+1 byte\s+→ EOF/);
    expect(out.stdout).toMatch(/client=CLOSE_WAIT/);
  });

  it('--wire draws the ladder: the segments under each step, or why they were not captured', () => {
    const out = run('--wire', '--only', 'unread-data-close', '--family', '4');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^\s+client\s+server$/m);
    expect(out.stdout).toMatch(/ {2}2 server\.close → ok ✓/);
    if (canCapture().ok) {
      // The RST goes from the server (right column) to the client: an arrow pointing left.
      expect(out.stdout).toMatch(/│◀─+ R\. 1 ack 3 ─+│/);
      expect(out.stdout).toMatch(/✓ wire: server sends no F/);
    } else {
      expect(out.stdout).toMatch(/\(not captured: needs capture \(CAP_NET_RAW\): /);
      expect(out.stdout).toMatch(/wire: not checked in unread-data-close \(errno checked\)/);
    }
  });

  it("--json carries each step's segments where they were captured", () => {
    const out = run('--json', '--only', 'linger-zero-close', '--family', '6');
    expect(out.status, out.stderr).toBe(0);
    const raw = JSON.parse(out.stdout).results[0].raw;
    if (canCapture().ok) {
      expect(raw.wire.setup.map((s: { flags: string }) => s.flags)).toEqual(['S', 'S.', '.']);
      expect(raw.steps[0].segments).toEqual([
        expect.objectContaining({ from: 'server', to: 'client', flags: 'R.', seq: 1, ack: 1, length: 0 }),
      ]);
    } else {
      expect(raw.wire.skipped).toMatch(/CAP_NET_RAW/);
      expect(raw.steps[0].segments).toBeUndefined();
    }
  });

  it('piped, it prints the header before the cases run and progress on stderr while they wait', async () => {
    const silent = canBlackhole().ok;
    // user-timeout-silent-peer waits ~0.9 s on a kernel timer where it can run.
    const out = await timed(['--only', 'user-timeout-silent-peer', '--family', '4']);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout.split('\n')[0]).toMatch(/^sockctl — Linux /);
    expect(out.stderr).toMatch(/^sockctl: 1 runs started/m);
    if (silent) {
      expect(out.exitMs - out.firstStdoutMs, 'the header came before the kernel timer ran out').toBeGreaterThan(500);
    }
  });

  it('--json on a pipe keeps stderr empty and stdout pure JSON', () => {
    const out = run('--json', '--only', 'connect-refused', '--family', '4');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout).results[0]).toMatchObject({ name: 'connect-refused', verdict: 'pass' });
  });

  const noSkip = stage?.unreadable || (!isRoot && canBlackhole().ok ? 'blackhole works here and uid 65534 is out of reach' : '');
  it.skipIf(noSkip)(
    `a skipped case takes one line naming what it needs (the header gives the reason)${noSkip ? ` (skipped: ${noSkip})` : ''}`,
    () => {
      const args = ['--only', 'kernel-kill', 'user-timeout-silent-peer'];
      const out = stage
        ? spawnSync('setpriv', [...NOBODY, process.execPath, path.join(stage.root, 'dist', 'cli', 'cli.js'), ...args], {
            encoding: 'utf8',
            timeout: 60_000,
            cwd: '/',
          })
        : spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(out.status, out.stderr).toBe(0);
      const lines = out.stdout.split('\n');
      expect(lines.filter((l) => l.startsWith('  blackhole: unavailable — '))).toHaveLength(1);
      const rows = lines.filter((l) => /^(kernel-kill|user-timeout-silent-peer) /.test(l));
      expect(rows).toEqual([
        expect.stringMatching(/^kernel-kill +│ skipped \(v4\+v6\): needs kill \(CAP_NET_ADMIN, INET_DIAG_DESTROY\)$/),
        expect.stringMatching(/^user-timeout-silent-peer +│ skipped \(v4\+v6\): needs blackhole \(CAP_NET_ADMIN\)$/),
      ]);
      // Nothing of either row wraps onto further lines: the table is its head, its rule and the two.
      const head = lines.findIndex((l) => l.startsWith('case '));
      expect(lines[head + 4]).toBe('');
    },
  );

  it('usage errors exit 2', () => {
    expect(run('--only', 'no-such-case').status).toBe(2);
    expect(run('--family', '5').status).toBe(2);
    expect(run('--bogus').status).toBe(2);
  });
});
