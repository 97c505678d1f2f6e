/**
 * A scenario is a short script of syscalls on named ends of one TCP connection — the client,
 * the accepted server socket, the listener — run on sockets this library owns, so every
 * syscall's result (bytes or errno) and the TCP state of each end after it are recorded as data.
 * Steps may declare what Linux should answer; the verdict compares that with what the running
 * kernel did.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { RawSocket, type RawFamily, type RawResult } from '../raw/raw-socket.js';
import { setKeepAlive, setLinger, setUserTimeout, setOption, type KeepAliveOptions } from '../controls/options.js';
import { tcpInfo, type TcpState } from '../controls/tcp-info.js';
import { blackhole, unblackhole } from '../raw/blackhole.js';
import { kill } from '../raw/kill.js';
import { invalidArgType, validateFamily, validateFunction, validateObject, validateOneOf } from '../controls/validate.js';

export type EndName = 'client' | 'server' | 'listener';

/**
 * What a step produced, in one word: `'ok'`, `'EOF'` (recv returned 0), an errno code such as
 * `'ECONNRESET'`, or for a count check the number seen as text.
 */
export type Outcome = string;

/** One executed step: the syscall, its result, and the TCP state of each end right after it. */
export interface StepRecord {
  index: number;
  end: EndName;
  /** The DSL operation ('send', 'waitState', ...). */
  op: string;
  /** The syscall made, or 'wait' / 'check' for steps that only observe. */
  syscall: string;
  /** Arguments in short form: "'ab'", '1 byte', 'how=write'. */
  detail: string;
  outcome: Outcome;
  /** Bytes moved by send/recv. */
  bytes?: number;
  /** Negative errno when the syscall failed. */
  errno?: number;
  /** True when the step's own bound ran out before the kernel answered. */
  timedOut?: boolean;
  expected?: Outcome;
  /** undefined when the step declared no expectation. */
  matched?: boolean;
  states: Partial<Record<EndName, TcpState | 'closed'>>;
  /** Start of the step, ms since the scenario started. */
  atMs: number;
  durationMs: number;
}

export type Verdict = 'pass' | 'fail' | 'skipped' | 'error';

export interface ScenarioResult {
  name: string;
  family: RawFamily;
  verdict: Verdict;
  /** Why the case was skipped, errored or failed. */
  reason?: string;
  steps: StepRecord[];
  /** Outcomes of the steps that declared one, as declared. */
  expected: Outcome[];
  /** Outcomes the kernel produced for those steps. */
  actual: Outcome[];
  durationMs: number;
}

/** What must hold for a scenario to run at all (privileges are probed, never assumed). */
export interface Requirement {
  /** Short name shown in reports ('blackhole', 'kill'). */
  name: string;
  /** `{ ok: false, reason }` when the requirement is not met on this host. */
  probe(): { ok: boolean; reason?: string };
}

/** The sockets that exist before a scenario's first step; see {@link ScenarioOptions.setup}. */
export type Setup = 'connected' | 'listening' | 'closed-port';
const SETUPS: readonly Setup[] = ['connected', 'listening', 'closed-port'];

export interface ScenarioOptions {
  /**
   * What exists before the first step: `'connected'` (default: a listener, a connected client
   * and the accepted server socket), `'listening'` (a listener and an unconnected client
   * socket: the steps connect and accept) or `'closed-port'` (an unconnected client socket and
   * a port with no listener, held bound so no one else takes it).
   */
  setup?: Setup;
  /** Requirements probed before running; unmet ones make the result `skipped`. */
  requires?: Requirement[];
}

export interface RunOptions {
  /** 4 (127.0.0.1, default) or 6 (::1). */
  family?: RawFamily;
}

interface Ends {
  listener?: RawSocket;
  client?: RawSocket;
  server?: RawSocket;
  /** Port with nothing listening, for 'closed-port'. */
  closedPort?: number;
}

interface Context {
  ends: Ends;
  /** The client's local port once connected: names the connection in the kernel's tables. */
  clientPort?: number;
  family: RawFamily;
  host: string;
  port: number;
}

interface StepOutput {
  syscall: string;
  outcome: Outcome;
  bytes?: number;
  errno?: number;
  timedOut?: boolean;
}

type Action = (ctx: Context, step: Step) => Promise<StepOutput> | StepOutput;

const DEFAULT_WAIT_MS = 5000;

/** A step of a scenario; `.expect()` declares what Linux should answer. */
export class Step {
  expected: Outcome | undefined;

  constructor(
    readonly end: EndName,
    readonly op: string,
    readonly detail: string,
    readonly action: Action,
  ) {}

  /**
   * Declares the outcome Linux should produce: `'ok'`, `'EOF'`, an errno code (`'ECONNRESET'`),
   * or for `timeWait()` the count as a number.
   */
  expect(outcome: Outcome | number): this {
    this.expected = String(outcome);
    return this;
  }
}

function fromResult(result: RawResult<{ bytes?: number }>): StepOutput {
  if (result.ok) {
    const bytes = result.bytes;
    const outcome = result.syscall === 'recv' && bytes === 0 ? 'EOF' : 'ok';
    return bytes === undefined ? { syscall: result.syscall, outcome } : { syscall: result.syscall, outcome, bytes };
  }
  return {
    syscall: result.syscall,
    outcome: result.code,
    errno: result.errno,
    ...(result.timedOut ? { timedOut: true } : {}),
  };
}

function socketOf(ctx: Context, end: EndName): RawSocket {
  const socket = ctx.ends[end];
  if (!socket) {
    throw new Error(`scenario has no ${end} socket at this step (did it connect/accept first?)`);
  }
  return socket;
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

function quote(data: string | Uint8Array): string {
  if (typeof data === 'string') return data.length <= 16 ? `'${data}'` : `${Buffer.byteLength(data)} bytes`;
  return `${data.byteLength} bytes`;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sockets in TIME_WAIT whose local port is `port` (and, when given, whose remote port is
 * `remotePort`), from the kernel's table in /proc/net/tcp and /proc/net/tcp6.
 */
export function timeWaitSockets(port: number, remotePort?: number): number {
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // cols[1] = local address:port, cols[2] = remote address:port (hex), cols[3] = state.
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '06') continue;
      const local = parseInt(cols[1].split(':').pop() ?? '', 16);
      const remote = parseInt(cols[2].split(':').pop() ?? '', 16);
      if (local === port && (remotePort === undefined || remote === remotePort)) count++;
    }
  }
  return count;
}

/**
 * Step factories for one end. Each call returns a {@link Step} to put in the scenario's list.
 */
export class End {
  constructor(readonly name: EndName) {}

  private step(op: string, detail: string, action: Action): Step {
    return new Step(this.name, op, detail, action);
  }

  /** connect(2) to the scenario's listener (or its closed port); waits up to `timeout` ms. */
  connect(options: { timeout?: number } = {}): Step {
    const timeout = options.timeout ?? DEFAULT_WAIT_MS;
    return this.step('connect', '', async (ctx) => {
      const socket = socketOf(ctx, this.name);
      const port = ctx.ends.closedPort ?? ctx.port;
      const result = await socket.connect(ctx.host, port, { timeout });
      if (result.ok) ctx.clientPort = socket.localAddress?.port;
      return fromResult(result);
    });
  }

  /** accept(2) on the listener; the accepted socket becomes the `server` end. */
  accept(options: { timeout?: number } = {}): Step {
    return this.step('accept', '', async (ctx) => {
      const result = await socketOf(ctx, 'listener').accept({ timeout: options.timeout ?? DEFAULT_WAIT_MS });
      if (result.ok) ctx.ends.server = result.socket;
      return fromResult(result);
    });
  }

  /** One send(2) with MSG_NOSIGNAL of `data` (waits for room up to `timeout` ms). */
  send(data: string | Uint8Array, options: { timeout?: number } = {}): Step {
    return this.step('send', quote(data), async (ctx) =>
      fromResult(await socketOf(ctx, this.name).send(data, { timeout: options.timeout ?? DEFAULT_WAIT_MS })),
    );
  }

  /**
   * send(2) without waiting until the kernel answers EAGAIN: fills the send buffer and the
   * peer's receive window. The step's outcome is 'ok' with the bytes queued, or the errno.
   */
  fill(options: { maxBytes?: number } = {}): Step {
    const maxBytes = options.maxBytes ?? 64 << 20;
    return this.step('fill', `up to ${maxBytes} bytes`, async (ctx) => {
      const socket = socketOf(ctx, this.name);
      const chunk = Buffer.alloc(1 << 16, 0x61);
      let total = 0;
      // Bounded: at most maxBytes / 64 KiB calls; ends at the first EAGAIN.
      while (total < maxBytes) {
        const result = await socket.send(chunk, { wait: false });
        if (!result.ok) {
          if (result.code === 'EAGAIN') return { syscall: 'send', outcome: 'ok', bytes: total };
          return { ...fromResult(result), bytes: total };
        }
        total += result.bytes;
      }
      return { syscall: 'send', outcome: 'ok', bytes: total };
    });
  }

  /** One recv(2) of at most `maxBytes`; waits for data up to `timeout` ms. 0 bytes = 'EOF'. */
  recv(maxBytes = 65536, options: { timeout?: number } = {}): Step {
    return this.step('recv', `${maxBytes} byte${maxBytes === 1 ? '' : 's'}`, async (ctx) =>
      fromResult(await socketOf(ctx, this.name).recv(maxBytes, { timeout: options.timeout ?? DEFAULT_WAIT_MS })),
    );
  }

  /** shutdown(2): 'write' sends FIN, 'read' stops receiving, 'both'. */
  shutdown(how: 'read' | 'write' | 'both'): Step {
    return this.step('shutdown', `how=${how}`, (ctx) => fromResult(socketOf(ctx, this.name).shutdown(how)));
  }

  /** close(2). With unread data in the receive queue the kernel sends RST instead of FIN. */
  close(): Step {
    return this.step('close', '', (ctx) => fromResult(socketOf(ctx, this.name).close()));
  }

  /** SO_LINGER {on, 0} then close(2): the kernel sends RST. */
  abort(): Step {
    return this.step('abort', 'linger 0 + close', (ctx) => fromResult(socketOf(ctx, this.name).abort()));
  }

  /** SO_LINGER: ms (whole seconds, see {@link setLinger}), or null for off. */
  linger(ms: number | null): Step {
    return this.step('linger', ms === null ? 'off' : `${ms} ms`, (ctx) => {
      setLinger(socketOf(ctx, this.name), ms);
      return { syscall: 'setsockopt', outcome: 'ok' };
    });
  }

  /** SO_KEEPALIVE and its timers (ms, see {@link setKeepAlive}). */
  keepalive(options: KeepAliveOptions): Step {
    const detail = `idle=${options.idle ?? '-'} interval=${options.interval ?? '-'} count=${options.count ?? '-'}`;
    return this.step('keepalive', detail, (ctx) => {
      setKeepAlive(socketOf(ctx, this.name), options);
      return { syscall: 'setsockopt', outcome: 'ok' };
    });
  }

  /** TCP_USER_TIMEOUT in ms. */
  userTimeout(ms: number): Step {
    return this.step('userTimeout', `${ms} ms`, (ctx) => {
      setUserTimeout(socketOf(ctx, this.name), ms);
      return { syscall: 'setsockopt', outcome: 'ok' };
    });
  }

  /** Any integer socket option (setsockopt). */
  option(level: number, name: number, value: number): Step {
    return this.step('option', `${level}/${name}=${value}`, (ctx) => {
      setOption(socketOf(ctx, this.name), level, name, value);
      return { syscall: 'setsockopt', outcome: 'ok' };
    });
  }

  /** Attaches a drop-all socket filter: this end goes silent (needs CAP_NET_ADMIN). */
  blackhole(): Step {
    return this.step('blackhole', 'drop-all filter', (ctx) => {
      blackhole(socketOf(ctx, this.name));
      return { syscall: 'setsockopt', outcome: 'ok' };
    });
  }

  /** Detaches the filter: this end hears again. */
  unblackhole(): Step {
    return this.step('unblackhole', '', (ctx) => {
      unblackhole(socketOf(ctx, this.name));
      return { syscall: 'setsockopt', outcome: 'ok' };
    });
  }

  /** Asks the kernel to destroy this end's socket (SOCK_DESTROY; needs CAP_NET_ADMIN). */
  kill(): Step {
    return this.step('kill', 'SOCK_DESTROY', (ctx) => {
      kill(socketOf(ctx, this.name));
      return { syscall: 'sock_diag', outcome: 'ok' };
    });
  }

  /** Waits until the socket is readable (data, FIN or a pending error), up to `timeout` ms. */
  waitReadable(timeout = DEFAULT_WAIT_MS): Step {
    return this.step('waitReadable', `${timeout} ms`, async (ctx) => {
      const ready = await socketOf(ctx, this.name).readable(timeout);
      return ready ? { syscall: 'poll', outcome: 'ok' } : { syscall: 'poll', outcome: 'timeout', timedOut: true };
    });
  }

  /**
   * Waits until tcp_info reports `state` for this end, up to `timeout` ms: wakes on the
   * socket's readiness (FIN and RST make it readable) and re-reads the state; where readiness
   * cannot tell (e.g. unread data already queued), re-reads it every few milliseconds.
   */
  waitState(state: TcpState, timeout = DEFAULT_WAIT_MS): Step {
    return this.step('waitState', state, async (ctx) => {
      const socket = socketOf(ctx, this.name);
      const deadline = performance.now() + timeout;
      for (;;) {
        const now = tcpInfo(socket).state;
        if (now === state) return { syscall: 'wait', outcome: 'ok' };
        const left = deadline - performance.now();
        if (left <= 0) return { syscall: 'wait', outcome: now, timedOut: true };
        // FIN and RST wake this at once; an ACK (e.g. FIN_WAIT1 -> FIN_WAIT2) changes the state
        // without readiness, hence the 10 ms slices.
        const start = performance.now();
        await socket.readable(Math.min(left, 10));
        // Readable but unchanged (data already queued): do not spin on the same readiness.
        if (performance.now() - start < 2) await delay(Math.min(5, Math.max(0, left)));
      }
    });
  }

  /**
   * Counts TIME_WAIT sockets of this scenario's connection (the listener's port and the
   * client's port) in the kernel's table (/proc/net/tcp*); the outcome is the count. With an expectation it waits up to `timeout` ms for the count
   * to reach it (the last ACK of a close is processed asynchronously).
   */
  timeWait(timeout = 1000): Step {
    return this.step('timeWait', 'count on listener port', async (ctx, step) => {
      const deadline = performance.now() + timeout;
      const countOurs = () => timeWaitSockets(ctx.port, ctx.clientPort);
      let count = countOurs();
      // Bounded by the deadline; re-reads the table every 5 ms.
      while (step.expected !== undefined && String(count) !== step.expected && performance.now() < deadline) {
        await delay(5);
        count = countOurs();
      }
      return { syscall: 'check', outcome: String(count) };
    });
  }
}

export interface ScenarioEnds {
  client: End;
  server: End;
  listener: End;
}

/** A named sequence of steps, ready to run on IPv4 or IPv6. */
export class Scenario {
  constructor(
    readonly name: string,
    readonly build: (ends: ScenarioEnds) => Step[],
    readonly options: ScenarioOptions = {},
  ) {}

  /** The steps as declared (without running them): end, op, detail, expected outcome. */
  describe(): Array<{ end: EndName; op: string; detail: string; expected?: Outcome }> {
    return this.build(endFactories()).map((s) => ({ end: s.end, op: s.op, detail: s.detail, ...(s.expected ? { expected: s.expected } : {}) }));
  }

  /**
   * Runs the steps on fresh loopback sockets and records what the kernel did. Never throws
   * for a kernel error: a step that fails is data. Sockets are closed at the end.
   */
  async run(options: RunOptions = {}): Promise<ScenarioResult> {
    if (!(this instanceof Scenario)) throw invalidArgType('this', 'a Scenario', this);
    const { family: given } = validateObject(options, 'options');
    const family = given === undefined ? 4 : validateFamily(given, 'options.family');
    const started = performance.now();
    const base = { name: this.name, family, steps: [] as StepRecord[], expected: [] as Outcome[], actual: [] as Outcome[] };
    for (const requirement of this.options.requires ?? []) {
      const probe = requirement.probe();
      if (!probe.ok) {
        return { ...base, verdict: 'skipped', reason: `needs ${requirement.name}: ${probe.reason ?? 'unavailable'}`, durationMs: 0 };
      }
    }
    const host = family === 6 ? '::1' : '127.0.0.1';
    const ctx: Context = { ends: {}, family, host, port: 0 };
    const steps = this.build(endFactories());
    let reason: string | undefined;
    let errored = false;
    try {
      await setUp(ctx, this.options.setup ?? 'connected');
      for (const [index, step] of steps.entries()) {
        const at = performance.now();
        const out = await step.action(ctx, step);
        const record: StepRecord = {
          index,
          end: step.end,
          op: step.op,
          syscall: out.syscall,
          detail: step.detail,
          outcome: out.outcome,
          ...(out.bytes !== undefined ? { bytes: out.bytes } : {}),
          ...(out.errno !== undefined ? { errno: out.errno } : {}),
          ...(out.timedOut ? { timedOut: true } : {}),
          states: {
            client: stateOf(ctx.ends.client),
            server: stateOf(ctx.ends.server),
            listener: stateOf(ctx.ends.listener),
          },
          atMs: round(at - started),
          durationMs: round(performance.now() - at),
        };
        if (step.expected !== undefined) {
          record.expected = step.expected;
          record.matched = step.expected === out.outcome;
          base.expected.push(step.expected);
          base.actual.push(out.outcome);
          if (!record.matched && reason === undefined) {
            reason = `step ${index} ${step.end}.${step.op}: expected ${step.expected}, kernel gave ${out.outcome}`;
          }
        }
        base.steps.push(record);
      }
    } catch (error) {
      errored = true;
      reason = `${(error as { code?: string }).code ?? 'Error'}: ${(error as Error).message}`;
    } finally {
      for (const socket of [ctx.ends.client, ctx.ends.server, ctx.ends.listener]) {
        if (socket && !socket.closed) socket.close();
      }
    }
    const verdict: Verdict = errored ? 'error' : reason === undefined ? 'pass' : 'fail';
    return { ...base, verdict, ...(reason !== undefined ? { reason } : {}), durationMs: round(performance.now() - started) };
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function endFactories(): ScenarioEnds {
  return { client: new End('client'), server: new End('server'), listener: new End('listener') };
}

async function setUp(ctx: Context, setup: NonNullable<ScenarioOptions['setup']>): Promise<void> {
  if (setup === 'closed-port') {
    // A socket bound but not listening holds the port: SYNs to it are answered with RST.
    const holder = RawSocket.create(ctx.family);
    const bound = holder.bind(ctx.host, 0);
    if (!bound.ok) throw new Error(`bind failed: ${bound.code}`);
    ctx.ends.listener = holder;
    ctx.ends.closedPort = holder.localAddress?.port;
    ctx.port = ctx.ends.closedPort ?? 0;
    ctx.ends.client = RawSocket.create(ctx.family);
    return;
  }
  const listening = await RawSocket.listen({ host: ctx.host, port: 0, backlog: 16 });
  if (!listening.ok) throw new Error(`listen failed: ${listening.code}`);
  ctx.ends.listener = listening.socket;
  ctx.port = listening.socket.localAddress?.port ?? 0;
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
