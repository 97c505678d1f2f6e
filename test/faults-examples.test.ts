import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const examples = readdirSync(new URL('../examples/', import.meta.url)).filter((name) => name.endsWith('.js'));

// Each example runs as a user would run it (`node examples/<file>`, after `npm run build:ts`),
// importing `sockctl` by name: the package's self-reference through its "exports" map.
describe('examples/', () => {
  it('holds the three examples the README links', () => {
    expect(examples.sort()).toEqual(['abort-abusive.js', 'reset-vs-broken-pipe.js', 'retry-on-reset.js']);
  });

  it.each(examples)('node examples/%s exits 0 within seconds', async (name) => {
    const start = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [`examples/${name}`], { cwd: root, timeout: 15_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.length).toBeGreaterThan(0);
    expect(performance.now() - start).toBeLessThan(10_000);
  });
});
