/**
 * A scenario is a short script of syscalls on named ends of one TCP connection — the client,
 * the accepted server socket, the listener — run on sockets this library owns, so every
 * syscall's result (bytes or errno) and the TCP state of each end after it are recorded as data.
 * Steps may declare what Linux should answer; the verdict compares that with what the running
 * kernel did.
 */
import { performance } from 'node:perf_hooks';
import { tcpInfo, type TcpState } from '../controls/tcp-info.js';
import {
  invalidArgType,
  validateBoolean,
  validateFamily,
  validateFunction,
  validateObject,
  validateOneOf,
} from '../controls/validate.js';
import { Capture, canCapture } from '../raw/capture.js';
import { canForge } from '../raw/forge.js';
import { RawSocket } from '../raw/raw-socket.js';
import { wireSegments } from '../raw/wire.js';
import { End } from './end.js';
import { DEFAULT_WAIT_MS, type Step } from './step.js';
import { skippedResult, StepLog } from './step-log.js';
import type {
  Context,
  EndName,
  Outcome,
  RunOptions,
  ScenarioOptions,
  ScenarioResult,
  Setup,
  StepRecord,
  WireRecord,
} from './types.js';
import { checkExpectation, describeExpectation, placeSegments } from './wire.js';

export { End } from './end.js';
export { Step } from './step.js';
export { timeWaitSockets } from './actions/observe.js';
export type * from './types.js';

const SETUPS: readonly Setup[] = ['connected', 'listening', 'closed-port'];

export interface ScenarioEnds {
  client: End;
  server: End;
  listener: End;
}

function stateOf(socket: RawSocket | undefined): TcpState | 'closed' | undefined {
  if (!socket) return undefined;
  if (socket.closed) return 'closed';
  try {
    return tcpInfo(socket).state;
  } catch {
    return undefined;
  }
}

function statesOf(ctx: Context): StepRecord['states'] {
  return { client: stateOf(ctx.ends.client), server: stateOf(ctx.ends.server), listener: stateOf(ctx.ends.listener) };
}

function endFactories(): ScenarioEnds {
  return { client: new End('client'), server: new End('server'), listener: new End('listener') };
}

/** A named sequence of steps, ready to run on IPv4 or IPv6. */
export class Scenario {
  constructor(
    readonly name: string,
    readonly build: (ends: ScenarioEnds) => Step[],
    readonly options: ScenarioOptions = {},
  ) {}

  /**
   * The steps as declared (without running them): end, op, detail, the expected outcome, the
   * wire expectations in words, and whether the step forges a segment.
   */
  describe(): Array<{ end: EndName; op: string; detail: string; expected?: Outcome; wire?: string[]; forges?: true }> {
    return this.build(endFactories()).map((s) => ({
      end: s.end,
      op: s.op,
      detail: s.detail,
      ...(s.expected ? { expected: s.expected } : {}),
      ...(s.wire.length ? { wire: s.wire.map(describeExpectation) } : {}),
      ...(s.forges ? { forges: true as const } : {}),
    }));
  }

  /**
   * Runs the steps on fresh loopback sockets and records what the kernel did. Never throws
   * for a kernel error: a step that fails is data. Sockets are closed at the end.
   */
  async run(options: RunOptions = {}): Promise<ScenarioResult> {
    if (!(this instanceof Scenario)) throw invalidArgType('this', 'a Scenario', this);
    const { family: given, wire } = validateObject(options, 'options');
    const family = given === undefined ? 4 : validateFamily(given, 'options.family');
    const wanted = wire === undefined ? undefined : validateBoolean(wire, 'options.wire', false);
    for (const requirement of this.options.requires ?? []) {
      const probe = requirement.probe();
      if (!probe.ok) return skippedResult(this.name, family, requirement.name, probe.reason ?? 'unavailable');
    }
    const steps = this.build(endFactories());
    const forges = steps.some((s) => s.forges);
    const capturing = wanted ?? (forges || steps.some((s) => s.wire.length > 0));
    let wireSkipped: string | undefined;
    if (forges) {
      // A forged segment needs the capture for its sequence number: no capture, no case.
      if (!capturing)
        return skippedResult(this.name, family, CAPTURE.name, 'forge steps take their numbers from it (wire: false given)');
      for (const requirement of [CAPTURE, FORGE]) {
        const probe = requirement.probe();
        if (!probe.ok) return skippedResult(this.name, family, requirement.name, probe.reason ?? 'unavailable');
      }
    } else if (capturing) {
      const probe = CAPTURE.probe();
      if (!probe.ok) wireSkipped = `needs ${CAPTURE.name}: ${probe.reason ?? 'unavailable'}`;
    }
    const started = performance.now();
    const log = new StepLog(started);
    const ctx: Context = { ends: {}, family, host: family === 6 ? '::1' : '127.0.0.1', port: 0 };
    const starts: number[] = [];
    let failure: unknown;
    let record: WireRecord | undefined = wireSkipped === undefined ? undefined : { setup: [], skipped: wireSkipped };
    try {
      await setUp(ctx, this.options.setup ?? 'connected', (bound) => {
        if (capturing && wireSkipped === undefined) ctx.capture = Capture.open(bound);
      });
      for (const step of steps) {
        const startedAt = performance.now();
        // To the µs below, as segment times are rounded: a segment a syscall sent is never
        // placed before the step that made it.
        starts.push(Math.floor((startedAt - started) * 1000) / 1000);
        const out = await step.action(ctx, step);
        log.add({ ...out, end: step.end, op: step.op, detail: step.detail, states: statesOf(ctx), startedAt }, step.expected);
      }
    } catch (error) {
      failure = error ?? new Error('a step threw nothing');
    } finally {
      // The wire is read before the sockets are closed: their closing is not part of the case.
      if (ctx.capture) record = await readWire(ctx, ctx.capture, started, starts, steps, log.steps);
      for (const socket of [ctx.ends.client, ctx.ends.server, ctx.ends.listener]) {
        if (socket && !socket.closed) socket.close();
      }
    }
    const result = log.result(this.name, family, failure);
    return record === undefined ? result : { ...result, wire: record };
  }
}

/** Capture (CAP_NET_RAW), as the reports name it. */
export const CAPTURE = { name: 'capture (CAP_NET_RAW)', probe: canCapture };
/** Forging segments (CAP_NET_RAW), as the reports name it. */
export const FORGE = { name: 'forge (CAP_NET_RAW)', probe: canForge };

/**
 * The scenario's segments, relative and named ('server' for the listener's port, 'client' for
 * the other end), placed under the steps; each step's wire expectations checked on them.
 */
async function readWire(
  ctx: Context,
  capture: Capture,
  started: number,
  starts: number[],
  steps: Step[],
  records: StepRecord[],
): Promise<WireRecord> {
  try {
    await capture.settle();
    const segments = wireSegments(capture.segments, (end) => (end.port === ctx.port ? 'server' : 'client'), started);
    const { setup, perStep } = placeSegments(segments, starts);
    records.forEach((record, i) => {
      record.segments = perStep[i] ?? [];
      if (steps[i].wire.length > 0) record.wire = steps[i].wire.map((e) => checkExpectation(e, i, perStep));
    });
    const dropped = capture.dropped;
    return { setup, ...(dropped > 0 ? { dropped } : {}) };
  } finally {
    capture.close();
  }
}

/** Creates the setup's sockets; `onBound` sees the listener (or port holder) before any connect. */
async function setUp(ctx: Context, setup: Setup, onBound: (socket: RawSocket) => void): Promise<void> {
  if (setup === 'closed-port') {
    // A socket bound but not listening holds the port: SYNs to it are answered with RST.
    const holder = RawSocket.create(ctx.family);
    const bound = holder.bind(ctx.host, 0);
    if (!bound.ok) throw new Error(`bind failed: ${bound.code}`);
    ctx.ends.listener = holder;
    onBound(holder);
    ctx.ends.closedPort = holder.localAddress?.port;
    ctx.port = ctx.ends.closedPort ?? 0;
    ctx.ends.client = RawSocket.create(ctx.family);
    return;
  }
  const listening = await RawSocket.listen({ host: ctx.host, port: 0, backlog: 16 });
  if (!listening.ok) throw new Error(`listen failed: ${listening.code}`);
  ctx.ends.listener = listening.socket;
  ctx.port = listening.socket.localAddress?.port ?? 0;
  onBound(listening.socket);
  ctx.ends.client = RawSocket.create(ctx.family);
  if (setup === 'listening') return;
  const connected = await ctx.ends.client.connect(ctx.host, ctx.port, { timeout: DEFAULT_WAIT_MS });
  if (!connected.ok) throw new Error(`connect failed: ${connected.code}`);
  const accepted = await listening.socket.accept({ timeout: DEFAULT_WAIT_MS });
  if (!accepted.ok) throw new Error(`accept failed: ${accepted.code}`);
  ctx.ends.server = accepted.socket;
  ctx.clientPort = ctx.ends.client.localAddress?.port;
}

/**
 * Declares a scenario: `build` receives the ends and returns the steps.
 *
 * ```ts
 * const result = await scenario('unread data', ({ client, server }) => [
 *   client.send('ab'),
 *   server.recv(1),
 *   server.close(),                       // 1 byte unread: the kernel sends RST
 *   client.recv(1).expect('ECONNRESET'),
 *   client.send('x').expect('EPIPE'),
 * ]).run();
 * ```
 */
export function scenario(name: string, build: (ends: ScenarioEnds) => Step[], options: ScenarioOptions = {}): Scenario {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  validateFunction(build, 'build');
  const { setup, requires } = validateObject(options, 'options');
  if (setup !== undefined) validateOneOf(setup, 'options.setup', SETUPS);
  if (requires !== undefined && (!Array.isArray(requires) || requires.some((r) => typeof r?.probe !== 'function'))) {
    throw invalidArgType('options.requires', 'an array of { name, probe() }', requires);
  }
  return new Scenario(name, build, options);
}
