// 15,000 loopback connections opened, touched by the addon and reset through abort() in a
// child run with --expose-gc (test/reliability/leak-child.mjs); fds, heap and RSS compared after
// a full GC.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode, summaryOf } from './reliability/child.js';

const script = fileURLToPath(new URL('./reliability/leak-child.mjs', import.meta.url));

interface Point {
  connections: number;
  fds: number;
  heapUsedMB: number;
  heapTotalMB: number;
  rssMB: number;
}

describe('leaks', () => {
  it('15,000 connections through abort leave the fd count unchanged and the heap flat', async () => {
    // A fixed young generation: left to grow, it makes RSS climb ~25 MB over the first few
    // thousand connections whoever makes them (Node's own resetAndDestroy() too).
    const flags = ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'];
    const result = await runNode(script, ['15000'], flags);
    expect(result.status, result.stderr.slice(-4000)).toBe(0);
    const { points } = summaryOf<{ points: Point[] }>(result);
    const [before, first, second, third] = points;
    console.log('leaks:', JSON.stringify(points));
    expect(third.connections).toBe(15_000);
    for (const p of [first, second, third]) expect(p.fds).toBe(before.fds);
    // Live JavaScript objects left after a full GC do not grow with connections.
    expect(third.heapUsedMB - before.heapUsedMB).toBeLessThan(1);
    // Nor does memory in all (the addon's native side included), judged on the later thirds of
    // 5,000 connections each: the first ones grow allocator pools and compiled code by an amount
    // that differs by Node version and load (+0.1 MB on 20, +2.6 on 20 under load, +4.9 on 26).
    // A leak grows every third alike — 512 bytes per connection adds 2.5 MB to each — while the
    // allocator's steps land in one of them at most: seen +2.75 MB in one half on Node 26 on
    // two busy cores. So the smaller of the two later thirds is judged.
    // Not under AddressSanitizer (npm run test:asan): its quarantine keeps freed memory, up to
    // 256 MB, so RSS grows there whatever the code does (+65 MB measured).
    const growth = Math.min(second.rssMB - first.rssMB, third.rssMB - second.rssMB);
    if (process.env.SOCKCTL_SANITIZED !== '1') expect(growth).toBeLessThan(2.5);
  });
});
