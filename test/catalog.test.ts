// The catalog runs against this kernel: each case's verdict is the comparison of what Linux
// should do with what the kernel did, step by step. A case that needs a privilege this process
// lacks is skipped with its reason, never replaced by a weaker stand-in.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canCapture } from '../src/raw/capture.js';
import { catalog, ERRNO_COVERAGE } from '../src/scenario/catalog/index.js';
import type { SavedLadders } from '../src/scenario/ladder.js';
import { HOSTS } from './helpers.js';

const families = HOSTS.map((h) => (h === '::1' ? 6 : 4) as 4 | 6);
const ladders: SavedLadders = JSON.parse(readFileSync(fileURLToPath(new URL('../docs/ladders.json', import.meta.url)), 'utf8'));
const capture = canCapture();
// What --trace prints for each op of the catalog: the syscall it makes (abort is close after
// SO_LINGER 0, forging is a raw sendto, the kill and the leak check are sock_diag requests), or
// 'wait' / 'check' for a step that only observes.
const OP_SYSCALL: Record<string, string> = {
  abort: 'close',
  accept: 'accept',
  bind: 'bind',
  blackhole: 'setsockopt',
  close: 'close',
  connect: 'connect',
  fill: 'send',
  forge: 'sendto',
  forgeReset: 'sendto',
  forgeSyn: 'sendto',
  keepalive: 'setsockopt',
  kill: 'sock_diag',
  leakCheck: 'sock_diag',
  recv: 'recv',
  request: 'check',
  send: 'send',
  shutdown: 'shutdown',
  timeWait: 'check',
  unblackhole: 'setsockopt',
  userTimeout: 'setsockopt',
  waitState: 'wait',
};

describe.each(families)('catalog on IPv%s', (family) => {
  it.each(catalog.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const result = await c.run(family);
    if (result.verdict === 'skipped') {
      // Only privileged cases may skip, and only with the probe's reason.
      expect(c.requires.length).toBeGreaterThan(0);
      expect(result.reason).toMatch(/^needs /);
      console.warn(`${c.name}: ${result.reason}`);
      return;
    }
    expect({ verdict: result.verdict, reason: result.reason }).toEqual({ verdict: 'pass', reason: undefined });
    // The verdict compared real outcomes: every declared expectation has a recorded outcome.
    expect(result.actual).toEqual(result.expected);
    expect(result.expected.length).toBeGreaterThan(0);
    for (const code of c.errnos) expect(result.actual, `${c.name} shows ${code}`).toContain(code);
    // Step by step, the same steps as the saved run of docs/ladders.json (recorded on IPv4 with
    // capture): what each did, to which end, and what it expected.
    const saved = ladders.cases.find((r) => r.name === c.name)!;
    const steps = (r: { steps: Array<{ end: string; op: string; detail: string; expected?: string }> }) =>
      r.steps.map((x) => [x.end, x.op, x.detail, x.expected]);
    expect(steps(result), c.name).toEqual(steps(saved));
    // Each step names the syscall its op makes (the trace prints it), the same one in every case.
    for (const s of result.steps) expect(s.syscall, `${c.name} step ${s.index} ${s.op}`).toBe(OP_SYSCALL[s.op]);
    // The wire: where this process may capture, every declared wire expectation was checked on
    // real segments (the pass above includes them); where it may not, they were skipped with the
    // probe's reason and the errno expectations decided alone.
    const declared = c.describe?.().flatMap((d, i) => (d.wire ?? []).map(() => i)) ?? [];
    if (declared.length === 0) return;
    if (capture.ok) {
      expect(result.wire?.skipped).toBeUndefined();
      for (const i of declared)
        expect(
          result.steps[i].wire?.every((w) => w.ok),
          `${c.name} step ${i}`,
        ).toBe(true);
      expect([...(result.wire?.setup ?? []), ...result.steps.flatMap((s) => s.segments ?? [])].length).toBeGreaterThan(0);
    } else {
      expect(result.wire?.skipped).toMatch(/^needs capture \(CAP_NET_RAW\): /);
      for (const i of declared) expect(result.steps[i].wire).toBeUndefined();
    }
  });
});

describe('the wire, where capture is available', () => {
  it.skipIf(!capture.ok)('a wrong wire expectation fails the case, naming the step and what was seen', async () => {
    const { scenario } = await import('../src/scenario/scenario.js');
    const result = await scenario('fin-not-rst', ({ client, server }) => [
      client.send('ab').expect('ok'),
      server.close().expect('ok').expectWire({ from: 'server', flags: 'F' }),
    ]).run();
    expect(result.verdict).toBe('fail');
    expect(result.reason).toBe('step 1 server.close: expected on the wire server sends F, saw 0 × F from server');
    expect(result.steps[1].segments?.map((s) => `${s.from} ${s.flags}`)).toEqual(['server R.']);
  });
});

describe('errno coverage', () => {
  it('names a case for every errno the seeds name, and EPROTO as not produced by Linux', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED']) {
      const where = ERRNO_COVERAGE[code];
      const c = catalog.find((x) => x.name === where);
      expect(c?.errnos, code).toContain(code);
    }
    expect(ERRNO_COVERAGE.EPROTO).toMatch(/not produced by Linux TCP/);
  });

  it('has at least 15 cases with distinct names', () => {
    expect(catalog.length).toBeGreaterThanOrEqual(15);
    expect(new Set(catalog.map((c) => c.name)).size).toBe(catalog.length);
  });
});
