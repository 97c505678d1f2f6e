/**
 * The data a scenario produces and the shapes its parts share: what one step recorded, the
 * verdict, what a case requires, how its sockets are set up.
 */
import type { RawFamily, RawSocket } from '../raw/raw-socket.js';
import type { TcpState } from '../controls/tcp-info.js';

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
  /** When skipped: the requirement that was not met (`'blackhole (CAP_NET_ADMIN)'`). */
  unmet?: string;
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

/** The sockets of a running scenario. */
export interface Ends {
  listener?: RawSocket;
  client?: RawSocket;
  server?: RawSocket;
  /** Port with nothing listening, for 'closed-port'. */
  closedPort?: number;
}

/** What a step's action sees: the sockets and where the listener is. */
export interface Context {
  ends: Ends;
  /** The client's local port once connected: names the connection in the kernel's tables. */
  clientPort?: number;
  family: RawFamily;
  host: string;
  port: number;
}

/** What a step's action returns; the runner adds the states and times. */
export interface StepOutput {
  syscall: string;
  outcome: Outcome;
  bytes?: number;
  errno?: number;
  timedOut?: boolean;
}
