/**
 * Runs catalog cases on this kernel — all at once, so cases that wait on kernel timers overlap
 * — and gathers the raw view, the Node view and the environment they ran in.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { catalog, BLACKHOLE, CAPTURE, FORGE, KILL, SNAPSHOT, type CatalogCase } from './catalog/index.js';
import { invalidArgType, invalidArgValue, validateBoolean, validateFunction, validateObject } from '../controls/validate.js';
import type { RawFamily } from '../raw/raw-socket.js';
import type { ScenarioResult, Verdict } from './scenario.js';
import type { NodeView } from './node-view.js';

export interface CaseRun {
  name: string;
  family: RawFamily;
  title: string;
  expectation: string;
  note?: string;
  /** The raw view's verdict (`raw.verdict`): what the case passed, failed or skipped on. */
  verdict: Verdict;
  /** Why it failed, errored or was skipped (`raw.reason`). */
  reason?: string;
  /** The raw view: every syscall, its errno and the TCP states. */
  raw: ScenarioResult;
  /** The Node view: what Node's own sockets and clients reported for the same case. */
  node?: NodeView;
}

export interface Environment {
  /** `uname -r`: on distribution kernels an ABI name (Debian: 6.1.0-56-cloud-amd64). */
  kernel: string;
  /** `uname -v`: carries the upstream version where the release does not (Debian 6.1.192-2). */
  kernelVersion?: string;
  node: string;
  platform: string;
  uid: number | undefined;
  /** Network-relevant capabilities in the effective set (from /proc/self/status). */
  capabilities: string[];
  /** Bytes of struct tcp_info this kernel fills. */
  tcpInfoLength: number | undefined;
  /** Bytes of tcp_info the kernel's socket table (sockets()) gives: the same, where it answers. */
  snapshotTcpInfoLength?: number | undefined;
  probes: Record<string, { ok: boolean; reason?: string }>;
  families: RawFamily[];
}

export interface CatalogRun {
  environment: Environment;
  results: CaseRun[];
  wallMs: number;
}

export interface CatalogOptions {
  /** Case names to run (default: all of them). */
  only?: string[];
  /** 4 (127.0.0.1), 6 (::1), or both (the default `[4, 6]`). */
  families?: RawFamily[];
  /**
   * Capture each case's segments (listed under its steps) and check its wire expectations.
   * Default true; where capture is not available the cases run without it and say why.
   */
  wire?: boolean;
  /**
   * Called once, when the environment has been probed and before any case starts: where a
   * report prints its header. `total` counts the runs (cases × families).
   */
  onStart?(environment: Environment, total: number): void;
  /**
   * Called when the runs start (`done` 0) and each time one finishes, with the runs still
   * waiting (`'keepalive-silent-peer/v4'`, ...) and the run that just finished.
   */
  onProgress?(done: number, total: number, running: string[], finished?: CaseRun): void;
}

/** Cases selected by name; unknown names throw a coded error listing the known ones. */
export function selectCases(only: string[] | undefined): CatalogCase[] {
  if (only !== undefined && (!Array.isArray(only) || only.some((name) => typeof name !== 'string'))) {
    throw invalidArgType('only', 'an array of case names', only);
  }
  if (!only || only.length === 0) return catalog;
  const unknown = only.filter((name) => !catalog.some((c) => c.name === name));
  if (unknown.length > 0) {
    throw Object.assign(new Error(`unknown case ${unknown.join(', ')}; known: ${catalog.map((c) => c.name).join(', ')}`), {
      code: 'ERR_SOCKCTL_UNKNOWN_CASE',
    });
  }
  return catalog.filter((c) => only.includes(c.name));
}

async function tcpInfoLength(): Promise<number | undefined> {
  const { RawSocket } = await import('../raw/raw-socket.js');
  const { tcpInfo } = await import('../controls/tcp-info.js');
  const socket = RawSocket.create(4);
  try {
    return tcpInfo(socket).length;
  } catch {
    return undefined;
  } finally {
    socket.close();
  }
}

/** The tcp_info length of a listener of this process as sockets() reads it from the kernel's table. */
async function snapshotTcpInfoLength(): Promise<number | undefined> {
  const { RawSocket } = await import('../raw/raw-socket.js');
  const { sockets } = await import('../controls/sockets.js');
  const listening = await RawSocket.listen({ host: '127.0.0.1', port: 0 });
  if (!listening.ok) return undefined;
  try {
    const port = listening.socket.localAddress?.port ?? 0;
    return sockets({ localPorts: [port], states: ['LISTEN'] }).find((s) => s.attribution === 'fd')?.tcpInfo?.length;
  } catch {
    return undefined;
  } finally {
    listening.socket.close();
  }
}

const CAPABILITY_BITS: Record<string, number> = { CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_SYS_ADMIN: 21, CAP_BPF: 39 };

function effectiveCapabilities(): string[] {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*([0-9a-f]+)/m);
    const mask = BigInt(`0x${line?.[1] ?? '0'}`);
    return Object.entries(CAPABILITY_BITS)
      .filter(([, bit]) => (mask >> BigInt(bit)) & 1n)
      .map(([name]) => name);
  } catch {
    return [];
  }
}

export async function describeEnvironment(families: RawFamily[]): Promise<Environment> {
  return {
    kernel: os.release(),
    kernelVersion: os.version(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    uid: process.getuid?.(),
    capabilities: effectiveCapabilities(),
    tcpInfoLength: await tcpInfoLength(),
    snapshotTcpInfoLength: await snapshotTcpInfoLength(),
    probes: {
      blackhole: BLACKHOLE.probe(),
      kill: KILL.probe(),
      capture: CAPTURE.probe(),
      forge: FORGE.probe(),
      snapshot: SNAPSHOT.probe(),
    },
    families,
  };
}

async function runOne(c: CatalogCase, family: RawFamily, wire: boolean, othersDone: Promise<unknown>): Promise<CaseRun> {
  // Both views at once: a case's timers then overlap with its own Node view's. An isolated
  // case's Node view waits until the other cases are done.
  const nodeView = c.node && c.isolated ? (f: RawFamily) => othersDone.then(() => c.node!(f)) : c.node;
  const [raw, node] = await Promise.all([
    c.run(family, { wire }).catch((error: Error): ScenarioResult => ({
      name: c.name,
      family,
      verdict: 'error',
      reason: error.message,
      steps: [],
      expected: [],
      actual: [],
      durationMs: 0,
    })),
    nodeView?.(family).catch((error: Error): NodeView => ({ events: [`(node view failed: ${error.message})`], durationMs: 0 })),
  ]);
  return {
    name: c.name,
    family,
    title: c.title,
    expectation: c.expectation,
    ...(c.note ? { note: c.note } : {}),
    verdict: raw.verdict,
    ...(raw.reason !== undefined ? { reason: raw.reason } : {}),
    raw,
    ...(node && raw.verdict !== 'skipped' ? { node } : {}),
  };
}

/**
 * Runs the selected cases on each family concurrently and returns them in catalog order, with
 * the environment they ran in. What `sockctl` (the CLI) runs and prints.
 *
 * ```ts
 * const { results: [run] } = await runCatalog({ only: ['close-wait-write'], families: [4] });
 * run.verdict; // 'pass' | 'fail' | 'skipped' | 'error', with run.reason and run.raw.steps
 * ```
 */
export async function runCatalog(options: CatalogOptions = {}): Promise<CatalogRun> {
  validateObject(options, 'options');
  const families = options.families ?? [4, 6];
  if (!Array.isArray(families) || families.length === 0 || families.some((f) => f !== 4 && f !== 6)) {
    throw invalidArgValue('options.families', 'a non-empty array of 4 and 6', families);
  }
  if (options.onStart !== undefined) validateFunction(options.onStart, 'options.onStart');
  if (options.onProgress !== undefined) validateFunction(options.onProgress, 'options.onProgress');
  const wire = validateBoolean(options.wire, 'options.wire', true);
  const cases = selectCases(options.only);
  const started = performance.now();
  const environment = await describeEnvironment(families);
  const jobs = cases.flatMap((c) => families.map((family) => ({ c, family, label: `${c.name}/v${family}` })));
  const running = new Set(jobs.map((j) => j.label));
  let done = 0;
  options.onStart?.(environment, jobs.length);
  options.onProgress?.(0, jobs.length, [...running]);
  let othersFinished: () => void = () => {};
  const othersDone = new Promise<void>((resolve) => (othersFinished = resolve));
  let others = jobs.filter((j) => !j.c.isolated).length;
  if (others === 0) othersFinished();
  const results = await Promise.all(
    jobs.map(async ({ c, family, label }, index) => {
      // Start the jobs one loop turn apart: their synchronous set-up (sockets, connects) then
      // never adds up into one long stall of the event loop.
      for (let turn = 0; turn < index; turn++) await new Promise((resolve) => setImmediate(resolve));
      const result = await runOne(c, family, wire, othersDone).finally(() => {
        if (!c.isolated && --others === 0) othersFinished();
      });
      running.delete(label);
      done++;
      options.onProgress?.(done, jobs.length, [...running], result);
      return result;
    }),
  );
  return { environment, results, wallMs: Math.round(performance.now() - started) };
}
