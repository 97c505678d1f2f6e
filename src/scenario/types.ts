/**
 * The data a scenario produces and the shapes its parts share: what one step recorded, the
 * verdict, what a case requires, how its sockets are set up.
 */
import type { Capture } from '../raw/capture.js';
import type { RawFamily, RawSocket } from '../raw/raw-socket.js';
import type { WireSegment } from '../raw/wire.js';
import type { TcpState } from '../controls/tcp-info.js';

export type { WireSegment } from '../raw/wire.js';

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
  /** What a check step found, in words (the leak check's line naming the socket). */
  report?: string;
  expected?: Outcome;
  /** undefined when the step declared no expectation. */
  matched?: boolean;
  states: Partial<Record<EndName, TcpState | 'closed'>>;
  /** Start of the step, ms since the scenario started. */
  atMs: number;
  durationMs: number;
  /**
   * The segments on the wire from this step's start to the next step's (when the run captured):
   * what this step's syscall set off, and what the kernels did meanwhile (timers, answers).
   */
  segments?: WireSegment[];
  /** The step's wire expectations and what the capture showed (see {@link WireExpectation}). */
  wire?: WireCheck[];
}

/**
 * What a step expects on the wire: segments from one end carrying `flags`, counted (by default
 * from the step's start to the scenario's end). Segments sockctl forged never count.
 */
export interface WireExpectation {
  /** The end that sends them. */
  from: 'client' | 'server';
  /** Flags each must carry, in tcpdump's letters: 'R' matches R and R.; '.' is ACK. */
  flags: string;
  /** Flags exactly these letters ('.' alone: a pure ACK, not R.). Default false. */
  exact?: boolean;
  /** How many: a number, a range, or by default at least one. `0`: none. */
  count?: number | { min?: number; max?: number };
  /** Only segments with payload (true) or without (false). Default: either. */
  data?: boolean;
  /** Gaps between consecutive matches, ms (timers: keepalive probes). */
  spacingMs?: { min?: number; max?: number };
  /**
   * Gaps that grow, as retransmissions back off: at least two; from the second on none shrinks by
   * more than 20 % (the first follows a tail-loss probe, timed from the RTT); with three or more
   * the last is at least 1.5 × the smallest before it.
   */
  backoff?: boolean;
  /** 'step': this step's segments only; 'rest' (default): this step's and every later step's. */
  scope?: 'step' | 'rest';
}

/** One wire expectation, checked. */
export interface WireCheck {
  /** The expectation in words: 'server sends R', 'server sends no F'. */
  expects: string;
  /** What the capture showed: '1 × R. from server', '2 × . from client, gaps 1024 ms'. */
  seen: string;
  ok: boolean;
}

/** What a run captured, beyond the segments listed under each step. */
export interface WireRecord {
  /** Segments before the first step (the handshake of the 'connected' setup). */
  setup: WireSegment[];
  /** Why nothing was captured, when the run wanted to capture but could not (privilege). */
  skipped?: string;
  /** Copies the kernel dropped (its ring was full): segments missing from the lists. */
  dropped?: number;
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
  /** Present when the run captured, or wanted to and could not: see {@link WireRecord}. */
  wire?: WireRecord;
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
  /**
   * Capture the segments of the scenario's sockets and list them under each step (needs
   * CAP_NET_RAW: root, or `sockctl-netns`). Default: when a step declares a wire expectation or
   * forges a segment. Without the privilege the run goes on, wire expectations are not checked
   * and `wire.skipped` says why; a scenario that forges is skipped as a whole.
   */
  wire?: boolean;
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
  /** The capture of the scenario's segments, when the run captures. */
  capture?: Capture;
}

/** What a step's action returns; the runner adds the states and times. */
export interface StepOutput {
  syscall: string;
  outcome: Outcome;
  bytes?: number;
  errno?: number;
  timedOut?: boolean;
  report?: string;
}
