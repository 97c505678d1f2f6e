// Catalog wall time against the kernel timers it waits on, and event-loop lag while waiting.
// Goals (issue: scenario layer): wall ≤ 1.3 × the sum of the timers; loop lag < 50 ms.
// Then the cost of capture: the same catalog with the wire captured and checked (the default
// where CAP_NET_RAW is held) and without, alternating, as ratios measured in this run.
// Usage: node bench/catalog.mjs [--rounds N] [--json]
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { runCatalog } = require('../dist/scenario/run-catalog.js');
const { catalog } = require('../dist/scenario/catalog/index.js');

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } },
});
const rounds = Math.max(1, Math.min(20, Number(values.rounds) || 3));
const families = [4, 6];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Loop lag of an idle process over `ms`: what the machine alone costs (the baseline). */
async function idleLag(ms) {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  await new Promise((resolve) => setTimeout(resolve, ms));
  lag.disable();
  return lag.max / 1e6;
}

const rows = [];
for (let round = 0; round < rounds; round++) {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const started = performance.now();
  const run = await runCatalog({ families });
  const wall = performance.now() - started;
  lag.disable();
  const ran = run.results.filter((r) => r.raw.verdict !== 'skipped');
  const timers = ran.reduce((sum, r) => sum + (catalog.find((c) => c.name === r.name)?.timersMs ?? 0), 0);
  const longest = Math.max(0, ...ran.map((r) => catalog.find((c) => c.name === r.name)?.timersMs ?? 0));
  const idleLagMaxMs = await idleLag(wall);
  rows.push({
    idleLagMaxMs,
    wallMs: Math.round(wall),
    timersSumMs: timers,
    longestTimerMs: longest,
    ratioToSum: timers ? wall / timers : NaN,
    lagMaxMs: lag.max / 1e6,
    lagP99Ms: lag.percentile(99) / 1e6,
    ran: ran.length,
    skipped: run.results.length - ran.length,
    failed: run.results.filter((r) => r.raw.verdict === 'fail' || r.raw.verdict === 'error').length,
  });
}

const summary = {
  rounds,
  wallMs: {
    median: median(rows.map((r) => r.wallMs)),
    min: Math.min(...rows.map((r) => r.wallMs)),
    max: Math.max(...rows.map((r) => r.wallMs)),
  },
  timersSumMs: rows[0].timersSumMs,
  longestTimerMs: rows[0].longestTimerMs,
  ratioToSum: median(rows.map((r) => r.ratioToSum)),
  lagMaxMs: { median: median(rows.map((r) => r.lagMaxMs)), max: Math.max(...rows.map((r) => r.lagMaxMs)) },
  idleLagMaxMs: { median: median(rows.map((r) => r.idleLagMaxMs)), max: Math.max(...rows.map((r) => r.idleLagMaxMs)) },
  ran: rows[0].ran,
  skipped: rows[0].skipped,
  failed: Math.max(...rows.map((r) => r.failed)),
};
/** Wall time and the summed durations of the cases without timers, with and without capture. */
async function wireCost() {
  const without = [];
  const withWire = [];
  for (let round = 0; round < rounds; round++) {
    for (const wire of round % 2 ? [true, false] : [false, true]) {
      const started = performance.now();
      const run = await runCatalog({ families, wire });
      const wall = performance.now() - started;
      const quick = run.results.filter((r) => r.raw.verdict !== 'skipped' && !catalog.find((c) => c.name === r.name)?.timersMs);
      (wire ? withWire : without).push({ wall, quick: new Map(quick.map((r) => [`${r.name}/${r.family}`, r.raw.durationMs])) });
    }
  }
  // Cases both ran (forging cases need capture: they run with it only).
  const both = [...without[0].quick.keys()].filter((k) => withWire[0].quick.has(k));
  const sum = (runs) => median(runs.map((r) => both.reduce((n, k) => n + (r.quick.get(k) ?? 0), 0)));
  return {
    cases: both.length,
    wallMs: { with: Math.round(median(withWire.map((r) => r.wall))), without: Math.round(median(without.map((r) => r.wall))) },
    quickCasesMs: { with: Math.round(sum(withWire)), without: Math.round(sum(without)) },
  };
}
const capture = require('../dist/raw/capture.js').canCapture();
summary.wire = capture.ok ? await wireCost() : { skipped: capture.reason };

if (values.json) {
  console.log(JSON.stringify({ summary, rows }, null, 2));
} else {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
  console.log(`catalog: ${summary.ran} runs (${summary.skipped} skipped, ${summary.failed} failed), ${rounds} rounds`);
  console.log(`  wall            median ${summary.wallMs.median} ms  (min ${summary.wallMs.min}, max ${summary.wallMs.max})`);
  console.log(`  kernel timers   sum ${summary.timersSumMs} ms, longest ${summary.longestTimerMs} ms`);
  console.log(`  wall / timers   ${f(summary.ratioToSum)}×   (goal ≤ 1.30×)`);
  console.log(
    `  wall / longest  ${f(summary.wallMs.median / summary.longestTimerMs)}×   (the cases overlap: the longest timer bounds the run)`,
  );
  console.log(`  loop lag max    median ${f(summary.lagMaxMs.median)} ms, worst ${f(summary.lagMaxMs.max)} ms  (goal < 50 ms)`);
  console.log(
    `  idle baseline   median ${f(summary.idleLagMaxMs.median)} ms, worst ${f(summary.idleLagMaxMs.max)} ms  (same process, idle, same duration)`,
  );
  const w = summary.wire;
  if (w.skipped) console.log(`  capture         not measured: ${w.skipped}`);
  else {
    console.log(
      `  capture, wall   ${w.wallMs.with} ms with / ${w.wallMs.without} ms without = ${f(w.wallMs.with / w.wallMs.without)}×`,
    );
    console.log(
      `  capture, cases  ${w.quickCasesMs.with} ms with / ${w.quickCasesMs.without} ms without = ${f(w.quickCasesMs.with / w.quickCasesMs.without)}×  (sum over the ${w.cases} case runs without timers)`,
    );
  }
}
