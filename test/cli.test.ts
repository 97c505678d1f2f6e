import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canCapture } from '../src/raw/capture.js';
import { catalog } from '../src/scenario/catalog/index.js';

const CLI = fileURLToPath(new URL('../dist/cli/cli.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });

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
    expect(data.environment).toMatchObject({ node: process.version, families: [4, 6], kernel: os.release(), kernelVersion: os.version() });
    expect(data.environment.tcpInfoLength).toBeGreaterThanOrEqual(104);
    expect(Object.keys(data.environment.probes)).toEqual(['blackhole', 'kill', 'capture', 'forge']);
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

  it('--json carries each step\'s segments where they were captured', () => {
    const out = run('--json', '--only', 'linger-zero-close', '--family', '6');
    expect(out.status, out.stderr).toBe(0);
    const raw = JSON.parse(out.stdout).results[0].raw;
    if (canCapture().ok) {
      expect(raw.wire.setup.map((s: { flags: string }) => s.flags)).toEqual(['S', 'S.', '.']);
      expect(raw.steps[0].segments).toEqual([expect.objectContaining({ from: 'server', to: 'client', flags: 'R.', seq: 1, ack: 1, length: 0 })]);
    } else {
      expect(raw.wire.skipped).toMatch(/CAP_NET_RAW/);
      expect(raw.steps[0].segments).toBeUndefined();
    }
  });

  it('usage errors exit 2', () => {
    expect(run('--only', 'no-such-case').status).toBe(2);
    expect(run('--family', '5').status).toBe(2);
    expect(run('--bogus').status).toBe(2);
  });
});
