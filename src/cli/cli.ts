#!/usr/bin/env node
/**
 * `sockctl`: runs the catalog of kernel cases on this machine and prints what the kernel did.
 */
import { parseArgs } from 'node:util';
import { catalog, ERRNO_COVERAGE } from '../scenario/catalog/index.js';
import { runCatalog, selectCases, type CaseRun, type CatalogRun, type Environment } from '../scenario/run-catalog.js';
import type { RawFamily } from '../raw/raw-socket.js';
import type { StepRecord } from '../scenario/scenario.js';
import { readFileSync } from 'node:fs';
import { compareRuns, renderComparison } from '../scenario/compare.js';
import { renderLadder } from '../scenario/ladder.js';

const HELP = `Usage: sockctl [options]

Runs sockctl's catalog of TCP failure cases against this kernel, on real loopback sockets,
and prints for each case what Linux should do, the errno sequence it produced, what Node's
net.Socket emitted for the same case, the TCP states, the time and the verdict.

       sockctl compare <a.json> <b.json> [more.json...]

Options:
  --only <name...>   run only these cases (see --list)
  --family <4|6|both>  address family: 127.0.0.1, ::1 or both (default both)
  --trace            print every step: syscall, result, errno, TCP state of each end, time
  --wire             print each case as a ladder: the segments each step put on the wire
                     (client and server as columns, flags, relative seq/ack, length, time);
                     needs CAP_NET_RAW (root, or run under sockctl-netns)
  --json             print the results as JSON (environment + one object per case; each
                     step carries the segments it put on the wire when they were captured)
  --list             list the cases and exit
  -h, --help         show this help

compare: reads runs saved with --json (other hosts, kernels, Node versions) and prints the
cases whose verdict, errno sequence, Node events, TCP states or timing class differ, and those
that are the same. Exit code 1 when a case passed in one run and failed in another.

Exit code: 0 when every case that ran matched what Linux should do; 1 otherwise; 2 on a usage
error. Cases that need a privilege this process lacks are reported as skipped, with the reason.
`;

function usage(message: string): never {
  process.stderr.write(`sockctl: ${message}\n\n${HELP}`);
  process.exit(2);
}

/** Wraps `text` into lines of at most `width` characters (hard-splitting long words). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (let word of paragraph.split(' ')) {
      while (word.length > width) {
        if (line) lines.push(line);
        lines.push(word.slice(0, width));
        word = word.slice(width);
        line = '';
      }
      if (!line) line = word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** A table row, or one line that spans every column after the first (a skipped case). */
type Row = string[] | { first: string; span: string; same: string };

function table(headers: string[], rows: Row[], widths: number[]): string {
  const out: string[] = [];
  const render = (cells: string[]) => {
    const wrapped = cells.map((cell, i) => wrap(cell, widths[i]));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let l = 0; l < height; l++) {
      out.push(
        wrapped
          .map((w, i) => (w[l] ?? '').padEnd(widths[i]))
          .join(' │ ')
          .trimEnd(),
      );
    }
  };
  render(headers);
  out.push(widths.map((w) => '─'.repeat(w)).join('─┼─'));
  for (const row of rows) {
    if (Array.isArray(row)) render(row);
    else out.push(`${row.first.padEnd(widths[0])} │ ${row.span}`);
  }
  return out.join('\n');
}

/** The outcomes worth reading: errnos and EOF, with the syscall that produced them. */
function errnoSequence(steps: StepRecord[]): string {
  const telling = steps.filter((s) => s.outcome !== 'ok' || s.op === 'connect' || s.op === 'accept');
  if (telling.length === 0) return 'all ok';
  return telling.map((s) => `${s.end} ${s.op} ${s.outcome}${s.timedOut ? ' (bound hit)' : ''}`).join(' → ');
}

function finalStates(steps: StepRecord[]): string {
  const last = steps[steps.length - 1];
  if (!last) return '';
  return Object.entries(last.states)
    .filter(([end, state]) => state !== undefined && end !== 'listener')
    .map(([end, state]) => `${end} ${state}`)
    .join(', ');
}

function verdictText(run: CaseRun): string {
  switch (run.raw.verdict) {
    case 'pass':
      return 'pass';
    case 'skipped':
      return `skipped: ${run.raw.reason}`;
    default:
      return `${run.raw.verdict.toUpperCase()}: ${run.raw.reason}`;
  }
}

function timeText(run: CaseRun): string {
  if (run.raw.verdict === 'skipped') return '-';
  return `${Math.round(run.raw.durationMs)} ms`;
}

function row(r: CaseRun, family: string): Row {
  // The header already gives the probe's reason: a skip takes one line.
  if (r.verdict === 'skipped') {
    const needs = `needs ${r.raw.unmet ?? r.reason}`;
    return { first: r.name, span: `skipped (${family}): ${needs}`, same: needs };
  }
  return [
    `${r.name} ${family}`,
    r.expectation,
    r.raw.verdict === 'skipped' ? '-' : errnoSequence(r.raw.steps),
    r.node ? (r.node.skipped ? `skipped: ${r.node.skipped}` : r.node.events.join(', ')) : '-',
    r.raw.verdict === 'skipped' ? '-' : finalStates(r.raw.steps),
    timeText(r),
    verdictText(r),
  ];
}

// What must agree for IPv4 and IPv6 to share a row: everything but the name and the time.
function comparable(row: Row): unknown {
  return Array.isArray(row) ? [row[2], row[3], row[4], row[6]] : row.same;
}

function renderTable(run: CatalogRun): string {
  const rows: Row[] = [];
  const byName = new Map<string, CaseRun[]>();
  for (const r of run.results) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  for (const runs of byName.values()) {
    const cells = runs.map((r) => row(r, `v${r.family}`));
    // One row when IPv4 and IPv6 agree on everything but the time.
    const same = cells.every((c) => JSON.stringify(comparable(c)) === JSON.stringify(comparable(cells[0])));
    if (same && runs.length > 1) {
      rows.push(row(runs[0], runs.map((r) => `v${r.family}`).join('+')));
    } else {
      rows.push(...cells);
    }
  }
  return table(
    ['case', 'Linux should', 'raw errno sequence', 'Node net.Socket events', 'TCP states after', 'time', 'verdict'],
    rows,
    [28, 26, 34, 30, 20, 7, 18],
  );
}

function renderTrace(run: CatalogRun): string {
  const out: string[] = [];
  for (const r of run.results) {
    out.push(`\n${r.name} (IPv${r.family}) — ${r.title}`);
    out.push(`  Linux should: ${r.expectation}`);
    if (r.note) out.push(`  note: ${r.note}`);
    for (const s of r.raw.steps) {
      const expect = s.expected === undefined ? '' : s.matched ? `  ✓ expected ${s.expected}` : `  ✗ expected ${s.expected}`;
      const states = Object.entries(s.states)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const result = `${s.outcome}${s.bytes !== undefined ? ` (${s.bytes} byte${s.bytes === 1 ? '' : 's'})` : ''}${s.errno !== undefined ? ` errno ${s.errno}` : ''}`;
      out.push(
        `  ${String(s.atMs.toFixed(1)).padStart(8)} ms  ${s.end.padEnd(8)} ${s.op.padEnd(12)} ${s.syscall.padEnd(10)} ${s.detail.padEnd(24)} → ${result.padEnd(28)} ${states}${expect}`,
      );
      if (s.report !== undefined) out.push(`${' '.repeat(14)}${s.report}`);
    }
    if (r.node) out.push(`  node: ${r.node.skipped ? `skipped: ${r.node.skipped}` : r.node.events.join(' → ')}`);
    out.push(`  verdict: ${verdictText(r)}`);
  }
  return out.join('\n');
}

function renderWire(run: CatalogRun): string {
  const out: string[] = [];
  for (const r of run.results) {
    out.push(`\n${r.name} (IPv${r.family}) — ${r.title}`);
    if (r.raw.verdict === 'skipped') {
      out.push(`  ${verdictText(r)}`);
      continue;
    }
    out.push(renderLadder(r.raw, { times: true }));
    out.push(`  verdict: ${verdictText(r)}`);
  }
  return out.join('\n');
}

function renderHeader(env: Environment): string {
  const probe = (name: string) => {
    const p = env.probes[name];
    return p.ok ? `${name}: available` : `${name}: unavailable — ${p.reason}`;
  };
  return [
    `sockctl — Linux ${env.kernel}${env.kernelVersion ? ` (${env.kernelVersion})` : ''}, Node ${env.node}, uid ${env.uid}, TCP_INFO ${env.tcpInfoLength} bytes`,
    `  ${probe('blackhole')}`,
    `  ${probe('kill')}`,
    `  ${probe('capture')}`,
    `  ${probe('forge')}`,
    ...(env.probes.snapshot ? [`  ${probe('snapshot')}`] : []),
  ].join('\n');
}

function renderFooter(run: CatalogRun): string {
  const counts = { pass: 0, fail: 0, skipped: 0, error: 0 };
  for (const r of run.results) counts[r.raw.verdict]++;
  const lines = ['', 'errno coverage on this kernel:'];
  for (const [code, shownBy] of Object.entries(ERRNO_COVERAGE)) {
    const seenIn = [...new Set(run.results.filter((r) => r.raw.steps.some((s) => s.outcome === code)).map((r) => r.name))];
    const shown =
      code === 'EPROTO'
        ? shownBy
        : seenIn.length
          ? `seen in ${seenIn.join(', ')}`
          : `not seen in this run (${shownBy} shows it: skipped or not selected)`;
    lines.push(`  ${code.padEnd(13)} ${shown}`);
  }
  for (const r of run.results) if (r.note && r.family === run.environment.families[0]) lines.push(`note (${r.name}): ${r.note}`);
  const unseen = run.results.filter((r) => r.raw.wire?.skipped !== undefined);
  if (unseen.length > 0) {
    const names = [...new Set(unseen.map((r) => r.name))];
    lines.push(`wire: not checked in ${names.join(', ')} (errno checked) — ${unseen[0].raw.wire?.skipped}`);
  }
  lines.push(
    '',
    `${counts.pass} passed, ${counts.fail + counts.error} failed, ${counts.skipped} skipped — ${run.results.length} runs in ${run.wallMs} ms`,
  );
  return lines.join('\n');
}

/** How often the progress goes out: a live line on a terminal, a plain line otherwise. */
const LIVE_MS = 200;
const PLAIN_MS = 1000;

/**
 * Progress on stderr while cases wait on kernel timers: on a terminal one line redrawn in place;
 * piped (CI logs), a plain line at the start and then once a second while cases still run. With
 * --json on a pipe, nothing: stdout is the result and stderr stays quiet for scripts.
 */
function startProgress(json: boolean): { update: (done: number, total: number, running: string[]) => void; stop: () => void } {
  const live = process.stderr.isTTY === true;
  const started = Date.now();
  let state = { done: 0, total: 0, running: [] as string[] };
  const line = () => {
    const { done, total, running } = state;
    const shown = running.slice(0, 3).join(', ') + (running.length > 3 ? `, +${running.length - 3}` : '');
    const waiting = running.length ? ` — waiting on the kernel: ${shown}` : '';
    if (done === 0 && !live) return `${total} runs started (cases × address families)`;
    return `${((Date.now() - started) / 1000).toFixed(1)} s  ${done}/${total} done${waiting}`;
  };
  if (json && !live) return { update: () => {}, stop: () => {} };
  let wrote = false;
  const draw = () => {
    if (state.total === 0 || (!live && state.done === state.total)) return;
    process.stderr.write(live ? `\r\x1b[K${line()}` : `sockctl: ${line()}\n`);
    wrote = true;
  };
  const ticker = setInterval(draw, live ? LIVE_MS : PLAIN_MS);
  return {
    update(done, total, running) {
      const first = state.total === 0;
      state = { done, total, running };
      if (first) draw();
    },
    stop() {
      clearInterval(ticker);
      if (live && wrote) process.stderr.write('\r\x1b[K');
    },
  };
}

function compare(files: string[]): void {
  if (files.length < 2) usage('compare needs at least two result files');
  const runs = files.map((file) => {
    try {
      const data = JSON.parse(readFileSync(file, 'utf8'));
      if (!data || !Array.isArray(data.results) || typeof data.environment !== 'object')
        throw new Error('not a sockctl --json result');
      return data;
    } catch (error) {
      return usage(`${file}: ${(error as Error).message}`);
    }
  });
  const comparison = compareRuns(runs, files);
  process.stdout.write(`${renderComparison(comparison)}\n`);
  process.exitCode = comparison.cases.some((c) => c.regressed) ? 1 : 0;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'compare') {
    compare(process.argv.slice(3));
    return;
  }
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        only: { type: 'string', multiple: true },
        family: { type: 'string', default: 'both' },
        trace: { type: 'boolean', default: false },
        wire: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
    });
  } catch (error) {
    usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.list) {
    for (const c of catalog) {
      const needs = c.requires.length ? `  [needs ${c.requires.map((r) => r.name).join(', ')}]` : '';
      process.stdout.write(`${c.name.padEnd(28)} ${c.title}${needs}\n`);
    }
    return;
  }
  const families: RawFamily[] =
    values.family === 'both'
      ? [4, 6]
      : values.family === '4'
        ? [4]
        : values.family === '6'
          ? [6]
          : usage(`--family must be 4, 6 or both`);
  // `--only a b` and `--only a --only b` both work.
  const only = values.only
    ? [...values.only, ...positionals]
    : positionals.length
      ? usage(`unexpected argument ${positionals[0]}`)
      : undefined;
  try {
    selectCases(only);
  } catch (error) {
    usage((error as Error).message);
  }
  const progress = startProgress(values.json);
  const run = await runCatalog({
    ...(only ? { only } : {}),
    families,
    onStart: (environment) => {
      // The header first, before any case runs: a reader (or a CI log) sees at once what runs where.
      if (!values.json) process.stdout.write(`${renderHeader(environment)}\n\n`);
    },
    onProgress: progress.update,
  });
  progress.stop();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
  } else {
    if (values.trace) process.stdout.write(`${renderTrace(run)}\n`);
    if (values.wire) process.stdout.write(`${renderWire(run)}\n`);
    if (!values.trace && !values.wire) process.stdout.write(`${renderTable(run)}\n`);
    process.stdout.write(`${renderFooter(run)}\n`);
  }
  const failed = run.results.some((r) => r.raw.verdict === 'fail' || r.raw.verdict === 'error');
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: Error) => {
  process.stderr.write(`sockctl: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
