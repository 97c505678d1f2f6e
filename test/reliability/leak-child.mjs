// Leak check, run by test/leaks.test.ts as `node --expose-gc leak-child.mjs [connections]`
// (plus the semi-space flags the test passes):
// loopback connections opened and reset through abort() in batches, with the process's fd
// count (/proc/self/fd), V8 heap and RSS taken after a full GC at checkpoints. Bounded in
// count (argument, default 15,000) and time (90 s). Prints `S {json}`.
import { readdirSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closed, connectMany, listen } from './loopback.mjs';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { abort, setKeepAlive, tcpInfo } = require(path.join(root, 'dist/index.js'));

const TOTAL = Number(process.argv[2] ?? 15_000);
const BATCH = 100;
// Checkpoints after the warm-up: every third of the run.
const CHECKPOINTS = [TOTAL / 3, (2 * TOTAL) / 3, TOTAL].map((n) => Math.round(n / BATCH) * BATCH);
const DEADLINE = Date.now() + 90_000;

async function settle() {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.gc();
  }
}

async function checkpoint(done) {
  await settle();
  const m = process.memoryUsage();
  const mb = (bytes) => Math.round((bytes / 2 ** 20) * 100) / 100;
  return {
    connections: done,
    fds: readdirSync('/proc/self/fd').length,
    heapUsedMB: mb(m.heapUsed),
    heapTotalMB: mb(m.heapTotal),
    rssMB: mb(m.rss),
  };
}

const server = await listen();

// One batch: BATCH connections, each touched by the addon, then reset from alternating ends.
async function batch(round) {
  const { clients, accepted } = await connectMany(server, BATCH);
  const allClosed = [...clients, ...accepted].map(closed);
  for (let i = 0; i < BATCH; i++) {
    const [mine, theirs] = (round + i) % 2 ? [clients[i], accepted[i]] : [accepted[i], clients[i]];
    setKeepAlive(mine, { idle: 5_000, interval: 1_000, count: 3 });
    tcpInfo(mine);
    abort(mine);
    theirs.resume(); // the RST ends it with ECONNRESET and closes it
  }
  await Promise.all(allClosed);
}

const points = [];
let done = 0;
// Warm-up: JIT, pools, and V8's young generation, whose pages become resident as they are first
// used (run with a fixed --min/--max-semi-space-size so it does not grow during the count).
const WARMUP = 30;
for (let i = 0; i < WARMUP; i++, done += BATCH) await batch(i);
points.push(await checkpoint(0));
const start = Date.now();
for (let round = 0; done < TOTAL + WARMUP * BATCH; round++, done += BATCH) {
  if (Date.now() > DEADLINE) throw new Error(`leak check: over its time budget after ${done} connections`);
  await batch(round);
  for (const at of CHECKPOINTS) if (done + BATCH === WARMUP * BATCH + at) points.push(await checkpoint(at));
}
server.close();
writeSync(1, `S ${JSON.stringify({ connections: TOTAL, ms: Date.now() - start, points })}\n`);
