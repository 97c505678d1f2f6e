/**
 * What a catalog case is, the requirements cases name, and the helpers several cases share.
 */
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { probeSnapshot } from '../../controls/sockets.js';
import { tcpInfo } from '../../controls/tcp-info.js';
import { canBlackhole } from '../../raw/blackhole.js';
import { canKill } from '../../raw/kill.js';
import type { RawFamily } from '../../raw/raw-socket.js';
import type { NodeView } from '../node-view.js';
import { CAPTURE, FORGE, type Scenario, type ScenarioEnds, type Step } from '../scenario.js';
import type { Requirement, ScenarioResult } from '../types.js';

export interface CatalogCase {
  name: string;
  /** One line: what the case does. */
  title: string;
  /** What Linux does, in words (the steps carry the exact expectations). */
  expectation: string;
  /** Errno values this case shows. */
  errnos: string[];
  /** A remark shown under the row (e.g. what Linux does not do). */
  note?: string;
  /** Sum of the kernel timers the raw view waits on, ms (0 when it waits on none). */
  timersMs: number;
  /** The raw view; `wire` as in {@link RunOptions.wire} (hand-written cases do not capture). */
  run(family: RawFamily, options?: { wire?: boolean }): Promise<ScenarioResult>;
  /** The Node view, when the case has one. */
  node?(family: RawFamily): Promise<NodeView>;
  /**
   * The Node view starts a Node process of its own: `runCatalog` starts it once every other
   * case has finished, so that process's start (seconds under an emulated kernel) does not slow
   * the cases that are waiting on bounded events.
   */
  isolated?: boolean;
  /** Requirements probed before the case runs. */
  requires: Requirement[];
  /** The steps as declared, for cases that are a scenario (see {@link Scenario.describe}). */
  describe?(): ReturnType<Scenario['describe']>;
}

export const BLACKHOLE: Requirement = { name: 'blackhole (CAP_NET_ADMIN)', probe: canBlackhole };
export const KILL: Requirement = { name: 'kill (CAP_NET_ADMIN, INET_DIAG_DESTROY)', probe: canKill };
export const SNAPSHOT: Requirement = { name: 'snapshot (sock_diag: inet_diag, tcp_diag)', probe: probeSnapshot };
export { CAPTURE, FORGE };

/**
 * The steps that show a connection survived a forged segment: nothing to read (no reset is
 * pending), and data still flows from the client to the server.
 */
export function connectionLives({ client, server }: ScenarioEnds): Step[] {
  return [server.recv(1, { timeout: 0 }).expect('EAGAIN'), client.send('ab').expect('ok'), server.recv(2).expect('ok')];
}

/** Whether a scenario forges segments (and so needs capture and a raw socket to run at all). */
function forges(s: Scenario): boolean {
  return s.describe().some((step) => step.forges);
}

/** A case whose raw view is a scenario: its name and requirements come from the scenario. */
export function fromScenario(
  s: Scenario,
  fields: Omit<CatalogCase, 'name' | 'run' | 'requires'> & { requires?: Requirement[] },
): CatalogCase {
  const requires = [...(s.options.requires ?? []), ...(forges(s) ? [CAPTURE, FORGE] : [])];
  return {
    name: s.name,
    requires,
    ...fields,
    run: (family, options = {}) => s.run({ ...options, family }),
    describe: () => s.describe(),
  };
}

/** The reason the first unmet requirement gives, or undefined when all are met. */
export function unmet(requires: Requirement[]): string | undefined {
  for (const r of requires) {
    const probe = r.probe();
    if (!probe.ok) return `needs ${r.name}: ${probe.reason ?? 'unavailable'}`;
  }
  return undefined;
}

/** A Node view that is skipped, with the reason, where its requirements are not met. */
export function guarded(requires: Requirement[], view: (family: RawFamily) => Promise<NodeView>) {
  return async (family: RawFamily): Promise<NodeView> => {
    const skipped = unmet(requires);
    return skipped ? { events: [], durationMs: 0, skipped } : view(family);
  };
}

export const hostOf = (family: RawFamily): string => (family === 6 ? '::1' : '127.0.0.1');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (bounded) until a Node socket's kernel state reads `state`. */
export async function nodeState(socket: net.Socket, state: string, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (socket.destroyed || tcpInfo(socket).state === state) return;
    await sleep(2);
  }
}

/** Waits (bounded, polling every 2 ms) until `done()`; false when the time ran out. */
export async function until(done: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done() && performance.now() < deadline) await sleep(2);
  return done();
}

/**
 * How long a Node view waits for http.get's or fetch's outcome. Loopback answers in
 * milliseconds, but an emulated kernel (npm run matrix) running the whole catalog at once
 * took over 3 s once; 10 s still bounds a client that never reports.
 */
export const NODE_CLIENT_BOUND_MS = 10_000;

/** Settles `promise` or gives up after `ms`: a Node client that never reports must not hang the catalog. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`${what}: no outcome within ${ms} ms`), ms);
    }),
  ]);
}

/** How an error reads in the Node view: code or name, and the cause's code or name. */
export function describeError(error: unknown): string {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string; name?: string } };
  const own = e.code ?? `${e.name ?? 'Error'} '${e.message ?? ''}'`;
  return e.cause ? `${own}, cause ${e.cause.code ?? e.cause.name ?? '?'}` : own;
}
