// The catalog runs against this kernel: each case's verdict is the comparison of what Linux
// should do with what the kernel did, step by step. A case that needs a privilege this process
// lacks is skipped with its reason, never replaced by a weaker stand-in.
import { describe, expect, it } from 'vitest';
import { catalog, ERRNO_COVERAGE } from '../src/scenario/catalog/index.js';
import { HOSTS } from './helpers.js';

const families = HOSTS.map((h) => (h === '::1' ? 6 : 4) as 4 | 6);

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
