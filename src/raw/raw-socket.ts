/**
 * RawSocket: a TCP socket this library owns, driven one syscall at a time. Every kernel answer
 * (ECONNRESET, EPIPE, EAGAIN, end of stream...) comes back as data, optionally with a trace of
 * each syscall and the TCP state right after it. Waiting uses libuv readiness (the addon's
 * uv_poll_t), so it never blocks the event loop. See socket(7), tcp(7) and each syscall's page.
 */
import { constants as osConstants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { codedError, errnoName, systemError, type SocketSystemError } from '../controls/errors.js';
import {
  invalidArgType,
  validateBacklog,
  validateBoolean,
  validateFamily,
  validateInteger,
  validateIpLiteral,
  validateMs,
  validateObject,
  validateOneOf,
  validatePort,
} from '../controls/validate.js';
import { kClose, kFd, type OwnedSocket } from '../controls/handle.js';
import { native, type NativeAddress } from '../controls/native.js';
import { TCP_STATES, type TcpState } from '../controls/tcp-info.js';

export type RawFamily = 4 | 6;

/** A syscall that failed: the kernel's errno (negative, as Node reports it) and its name. */
export interface RawFail {
  ok: false;
  errno: number;
  code: string;
  syscall: string;
  /** The wait ran out: errno is the syscall's answer at the deadline (EAGAIN, EALREADY...). */
  timedOut?: boolean;
  /** The socket was closed while this operation waited; errno is the last answer before. */
  cancelled?: boolean;
}

/** A syscall that succeeded, with what it gave (`bytes`, `data`, a new `socket`...). */
export type RawOk<T extends object = {}> = { ok: true; syscall: string } & T;

/** What every RawSocket syscall returns: check `ok` to narrow it, or pass it to {@link unwrap}. */
export type RawResult<T extends object = {}> = RawOk<T> | RawFail;

/** The Node-shaped error {@link unwrap} throws for a {@link RawFail}. */
export interface RawError extends SocketSystemError {
  /** Set when the wait ran out (the errno is the syscall's answer at the deadline). */
  timedOut?: boolean;
  /** Set when the socket was closed while the call waited. */
  cancelled?: boolean;
}

/**
 * Returns a successful result as it is and throws a failed one as a Node-shaped SystemError
 * (`code`, `errno`, `syscall`, and `timedOut` / `cancelled` when set): for the steps a program
 * expects to succeed, such as setting up a listener.
 *
 * ```ts
 * const { socket, address } = unwrap(await RawSocket.listen());
 * ```
 */
export function unwrap<T extends object>(result: RawResult<T>): RawOk<T> {
  if (typeof result !== 'object' || result === null) throw invalidArgType('result', 'a RawSocket result', result);
  if (result.ok === true) return result;
  if (result.ok !== false || typeof result.errno !== 'number' || result.errno >= 0 || typeof result.syscall !== 'string') {
    throw invalidArgType('result', 'a RawSocket result', result);
  }
  const error: RawError = systemError(-result.errno, result.syscall);
  if (result.timedOut) error.timedOut = true;
  if (result.cancelled) error.cancelled = true;
  throw error;
}

export interface RawAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** One syscall as it happened. */
export interface TraceEntry {
  /**
   * ms (performance.now based) since the first socket appending to this trace array was
   * created: for a trace of one socket, since that socket was created.
   */
  at: number;
  fd: number;
  syscall: string;
  /** What was asked: '2 bytes', 'how=write', '127.0.0.1:4000', 'SO_ERROR'. */
  detail?: string;
  ok: boolean;
  /** The syscall's result when it succeeded: bytes, a new fd, an SO_ERROR value. */
  result?: number;
  errno?: number;
  code?: string;
  /** The TCP state read right after the syscall; undefined when it cannot be read (closed). */
  state?: TcpState;
}

export interface WaitOptions {
  /** Bound on the wait, ms. Default 5000. */
  timeout?: number;
  /** Default true. false makes one non-blocking attempt: EAGAIN / EINPROGRESS are returned. */
  wait?: boolean;
}

export interface TraceOption {
  /** true starts a trace; an array is appended to, so several sockets share one timeline. */
  trace?: boolean | TraceEntry[];
}

const { EAGAIN, EINPROGRESS, EISCONN } = osConstants.errno;
const DEFAULT_TIMEOUT = 5000;
/** Largest single recv buffer: 1 GiB, well past any socket receive queue. */
const MAX_RECV = 2 ** 30;
const SHUTDOWN_HOW = { read: 0, write: 1, both: 2 } as const;
const SHUTDOWN_NAMES = Object.keys(SHUTDOWN_HOW) as Array<keyof typeof SHUTDOWN_HOW>;
const poll = native.poll.constants;

// A trace array's time origin, so entries appended by several sockets share one clock.
const origins = new WeakMap<TraceEntry[], number>();

// A RawSocket dropped without close() still releases its fd. Explicit close() unregisters it,
// so an fd number the kernel has since handed to another socket is never closed twice.
const finalizer = new FinalizationRegistry<number>((fd) => {
  try {
    native.rawIo.close(fd);
  } catch {
    // The environment is shutting down and has already closed it.
  }
});

const stateBuffer = new Uint8Array(1);

function stateOf(fd: number): TcpState | undefined {
  try {
    // tcpi_state is the struct's first byte: a one-byte TCP_INFO read is enough.
    return native.tcpInfo.tcpInfo(fd, stateBuffer) >= 1 ? TCP_STATES[stateBuffer[0]] : undefined;
  } catch {
    return undefined;
  }
}

function fail(errno: number, syscall: string): RawFail {
  return { ok: false, errno, code: errnoName(errno), syscall };
}

function toAddress(value: NativeAddress | number): RawAddress | undefined {
  if (typeof value === 'number') return undefined;
  const [address, port, family] = value;
  return { address, port, family: family === 6 ? 'IPv6' : 'IPv4' };
}

function waitArgs(options: WaitOptions | undefined): { timeout: number; wait: boolean } {
  const { timeout, wait } = validateObject(options, 'options');
  return { timeout: validateMs(timeout, 'options.timeout', DEFAULT_TIMEOUT), wait: validateBoolean(wait, 'options.wait', true) };
}

function traceArg(value: unknown): TraceEntry[] | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return [];
  if (Array.isArray(value)) return value as TraceEntry[];
  throw invalidArgType('options.trace', 'of type boolean or an Array', value);
}

function bytesArg(data: unknown): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof Uint8Array) return data;
  throw invalidArgType('data', 'of type string or an instance of Buffer or Uint8Array', data);
}

// A socket error or hang-up (FAILED) also means the next syscall will not block.
function isReady(outcome: number): boolean {
  return outcome === poll.READY || outcome === poll.FAILED;
}

const kToken = Symbol('RawSocket');

/**
 * A TCP socket owned by this library: non-blocking and close-on-exec, one syscall per call,
 * kernel errors returned as {@link RawFail}. All controls (`setKeepAlive`, `tcpInfo`, `abort`...)
 * accept it. Closed by {@link RawSocket.close}, {@link RawSocket.abort} or, failing those, when
 * garbage-collected.
 */
export class RawSocket implements OwnedSocket {
  readonly #family: RawFamily;
  readonly #trace: TraceEntry[] | undefined;
  #fd: number;
  #closed = false;

  private constructor(token: symbol, fd: number, family: RawFamily, trace: TraceEntry[] | undefined) {
    if (token !== kToken) throw codedError('ERR_ILLEGAL_CONSTRUCTOR', 'Use RawSocket.create()');
    this.#fd = fd;
    this.#family = family;
    this.#trace = trace;
    if (trace !== undefined && !origins.has(trace)) origins.set(trace, performance.now());
    finalizer.register(this, fd, this);
  }

  /**
   * socket(2) with SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC. Throws a Node-shaped
   * SystemError only if socket() itself fails (EMFILE, ENFILE...).
   */
  static create(family: RawFamily = 4, options?: TraceOption): RawSocket {
    const checked = validateFamily(family, 'family');
    const trace = traceArg(validateObject(options, 'options').trace);
    const fd = native.rawIo.socket(checked);
    if (fd < 0) throw systemError(-fd, 'socket');
    const socket = new RawSocket(kToken, fd, checked, trace);
    socket.#record('socket', checked === 6 ? 'AF_INET6' : 'AF_INET', fd);
    return socket;
  }

  /**
   * socket, bind and listen(2) in one step; on failure the socket is closed again. `address` is
   * where it listens (getsockname(2)), with the port the kernel picked for port 0.
   */
  static listen(
    options: { host?: string; port?: number; backlog?: number } & TraceOption = {},
  ): Promise<RawResult<{ socket: RawSocket; address: RawAddress }>> {
    const { host = '127.0.0.1', port = 0, backlog = 16, trace } = validateObject(options, 'options');
    const family = validateIpLiteral(host, 'options.host');
    validatePort(port, 'options.port');
    validateBacklog(backlog, 'options.backlog');
    const socket = RawSocket.create(family, { trace: traceArg(trace) });
    const bound = socket.bind(host, port);
    const result = bound.ok ? socket.listen(backlog) : bound;
    if (!result.ok) {
      socket.close();
      return Promise.resolve(result);
    }
    // Bound and listening: getsockname(2) has an address to give.
    return Promise.resolve({ ok: true, syscall: 'listen', socket, address: socket.localAddress as RawAddress });
  }

  /** socket and connect(2), waiting up to `timeout` ms; on failure the socket is closed again. */
  static connect(
    options: { host: string; port: number; timeout?: number } & TraceOption,
  ): Promise<RawResult<{ socket: RawSocket }>> {
    const { host, port, timeout, trace } = validateObject(options, 'options');
    const family = validateIpLiteral(host, 'options.host');
    const checkedPort = validatePort(port, 'options.port');
    validateMs(timeout, 'options.timeout', DEFAULT_TIMEOUT);
    const socket = RawSocket.create(family, { trace: traceArg(trace) });
    return socket.connect(host as string, checkedPort, { timeout }).then((result) => {
      if (result.ok) return { ok: true, syscall: 'connect', socket };
      socket.close(); // nothing else holds it: it is still open
      return result;
    });
  }

  /** bind(2) to a numeric address; port 0 lets the kernel pick. */
  bind(host: string, port = 0): RawResult {
    RawSocket.#live(this);
    validateIpLiteral(host, 'host');
    const checked = validatePort(port, 'port');
    return this.#result('bind', `${host}:${checked}`, native.rawIo.bind(this.#fd, host, checked));
  }

  /** listen(2). */
  listen(backlog = 16): RawResult {
    RawSocket.#live(this);
    const checked = validateBacklog(backlog, 'backlog');
    return this.#result('listen', `backlog=${checked}`, native.rawIo.listen(this.#fd, checked));
  }

  /**
   * Non-blocking connect(2), then waits for writability and reads SO_ERROR: a refused or timed
   * out handshake comes back as ECONNREFUSED / ETIMEDOUT with syscall 'connect'. With
   * `wait: false` the first answer (EINPROGRESS) is returned; at the deadline, the answer of
   * one more connect() (EALREADY while the handshake still runs) with `timedOut`.
   */
  connect(host: string, port: number, options?: WaitOptions): Promise<RawResult> {
    RawSocket.#live(this);
    validateIpLiteral(host, 'host');
    const checked = validatePort(port, 'port');
    return this.#connect(host, checked, waitArgs(options));
  }

  async #connect(host: string, port: number, { timeout, wait }: { timeout: number; wait: boolean }): Promise<RawResult> {
    const detail = `${host}:${port}`;
    const attempt = () => this.#call('connect', detail, () => native.rawIo.connect(this.#fd, host, port));
    const first = attempt();
    if (first === 0) return { ok: true, syscall: 'connect' };
    if (first !== -EINPROGRESS || !wait) return fail(first, 'connect');
    const outcome = await this.#wait(poll.WRITABLE, timeout);
    if (outcome === poll.CANCELLED || this.#closed) return { ...fail(first, 'connect'), cancelled: true };
    if (outcome === poll.TIMED_OUT) {
      const last = attempt();
      if (last === 0 || last === -EISCONN) return { ok: true, syscall: 'connect' };
      return { ...fail(last, 'connect'), timedOut: true };
    }
    const pending = this.#takeError();
    if (typeof pending !== 'number') return pending;
    return pending === 0 ? { ok: true, syscall: 'connect' } : fail(-pending, 'connect');
  }

  /** accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC. The new socket shares this one's trace. */
  accept(options?: WaitOptions): Promise<RawResult<{ socket: RawSocket }>> {
    RawSocket.#live(this);
    return this.#retry('accept', undefined, poll.READABLE, waitArgs(options), () => native.rawIo.accept(this.#fd)).then(
      (result) =>
        result.ok
          ? { ok: true, syscall: 'accept', socket: new RawSocket(kToken, result.value, this.#family, this.#trace) }
          : result,
    );
  }

  /**
   * One send(2) with MSG_NOSIGNAL (a closed peer gives EPIPE, never SIGPIPE). It may send
   * less than given: `bytes` says how much.
   */
  send(data: Uint8Array | string, options?: WaitOptions): Promise<RawResult<{ bytes: number }>> {
    RawSocket.#live(this);
    const bytes = bytesArg(data);
    return this.#retry('send', `${bytes.byteLength} bytes`, poll.WRITABLE, waitArgs(options), () =>
      native.rawIo.send(this.#fd, bytes),
    ).then((result) => (result.ok ? { ok: true, syscall: 'send', bytes: result.value } : result));
  }

  /** One recv(2) of at most `maxBytes`. `bytes: 0` is end of stream (the peer's FIN). */
  recv(maxBytes: number, options?: WaitOptions): Promise<RawResult<{ bytes: number; data: Buffer }>> {
    RawSocket.#live(this);
    const size = validateInteger(maxBytes, 'maxBytes', 1, MAX_RECV);
    const args = waitArgs(options);
    const buffer = Buffer.allocUnsafe(size);
    return this.#retry('recv', `${size} bytes max`, poll.READABLE, args, () => native.rawIo.recv(this.#fd, buffer)).then(
      (result) =>
        result.ok ? { ok: true, syscall: 'recv', bytes: result.value, data: buffer.subarray(0, result.value) } : result,
    );
  }

  /** shutdown(2): 'write' sends FIN; later sends fail EPIPE. */
  shutdown(how: 'read' | 'write' | 'both'): RawResult {
    RawSocket.#live(this);
    validateOneOf(how, 'how', SHUTDOWN_NAMES);
    return this.#result('shutdown', `how=${how}`, native.rawIo.shutdown(this.#fd, SHUTDOWN_HOW[how]));
  }

  /**
   * close(2). Pending waits resolve with `cancelled: true`. With unread data in the receive
   * queue the kernel sends RST instead of FIN (RFC 2525 §2.17).
   */
  close(): RawResult {
    const fd = RawSocket.#live(this);
    this.#closed = true;
    finalizer.unregister(this);
    return this.#result('close', undefined, native.rawIo.close(fd));
  }

  /** Sets SO_LINGER {on, 0} and closes: the kernel sends RST, no FIN, no TIME_WAIT. socket(7). */
  abort(): RawResult {
    const fd = RawSocket.#live(this);
    try {
      native.options.setLinger(fd, 0);
      this.#record('setsockopt', 'SO_LINGER={1,0}', 0);
    } catch (error) {
      const errno = (error as { errno?: unknown }).errno;
      if (typeof errno !== 'number') throw error;
      this.#record('setsockopt', 'SO_LINGER={1,0}', errno);
      return fail(errno, 'setsockopt');
    }
    return this.close();
  }

  /** Waits until recv would not block (data, end of stream, error or hang-up). false: timed out. */
  readable(timeoutMs?: number): Promise<boolean> {
    RawSocket.#live(this);
    return this.#wait(poll.READABLE, validateMs(timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT)).then(isReady);
  }

  /** Waits until send would not block (buffer space, error or hang-up). false: timed out. */
  writable(timeoutMs?: number): Promise<boolean> {
    RawSocket.#live(this);
    return this.#wait(poll.WRITABLE, validateMs(timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT)).then(isReady);
  }

  /** The file descriptor. Throws ERR_SOCKET_CLOSED once closed. */
  get fd(): number {
    return RawSocket.#live(this);
  }

  get closed(): boolean {
    RawSocket.#brand(this);
    return this.#closed;
  }

  get family(): RawFamily {
    RawSocket.#brand(this);
    return this.#family;
  }

  /** getsockname(2); undefined when closed or unbound. */
  get localAddress(): RawAddress | undefined {
    RawSocket.#brand(this);
    return this.#closed ? undefined : toAddress(native.rawIo.getsockname(this.#fd));
  }

  /** getpeername(2); undefined when closed or not connected (e.g. reset before accept). */
  get remoteAddress(): RawAddress | undefined {
    RawSocket.#brand(this);
    return this.#closed ? undefined : toAddress(native.rawIo.getpeername(this.#fd));
  }

  get trace(): TraceEntry[] | undefined {
    RawSocket.#brand(this);
    return this.#trace;
  }

  [kFd](): number {
    return RawSocket.#live(this);
  }

  [kClose](): void {
    this.close();
  }

  static #brand(self: unknown): asserts self is RawSocket {
    if (typeof self !== 'object' || self === null || !(#fd in self)) {
      throw invalidArgType('this', 'an instance of RawSocket', self);
    }
  }

  static #live(self: unknown): number {
    RawSocket.#brand(self);
    if (self.#closed) throw codedError('ERR_SOCKET_CLOSED', 'Socket is closed');
    return self.#fd;
  }

  #record(syscall: string, detail: string | undefined, result: number): void {
    if (this.#trace === undefined) return;
    const entry: TraceEntry = {
      at: performance.now() - (origins.get(this.#trace) ?? 0),
      fd: this.#fd,
      syscall,
      ok: result >= 0,
    };
    if (detail !== undefined) entry.detail = detail;
    if (result >= 0) {
      entry.result = result;
    } else {
      entry.errno = result;
      entry.code = errnoName(result);
    }
    const state = this.#closed ? undefined : stateOf(this.#fd);
    if (state !== undefined) entry.state = state;
    this.#trace.push(entry);
  }

  #call(syscall: string, detail: string | undefined, syscallFn: () => number): number {
    const result = syscallFn();
    this.#record(syscall, detail, result);
    return result;
  }

  #result(syscall: string, detail: string | undefined, result: number): RawResult {
    this.#record(syscall, detail, result);
    return result >= 0 ? { ok: true, syscall } : fail(result, syscall);
  }

  // SO_ERROR, read and cleared: how a non-blocking connect ended. A number, or the failure of
  // getsockopt itself.
  #takeError(): number | RawFail {
    try {
      const pending = native.options.takeError(this.#fd);
      const code = pending === 0 ? '0' : errnoName(-pending);
      this.#record('getsockopt', `SO_ERROR=${code}`, pending);
      return pending;
    } catch (error) {
      const errno = (error as { errno?: unknown }).errno;
      if (typeof errno !== 'number') throw error;
      this.#record('getsockopt', 'SO_ERROR', errno);
      return fail(errno, 'getsockopt');
    }
  }

  #wait(events: number, timeout: number): Promise<number> {
    return new Promise((resolve) => native.poll.wait(this.#fd, events, timeout, (outcome) => resolve(outcome)));
  }

  // Tries the syscall; on EAGAIN waits for readiness and tries again, until the deadline.
  // At the deadline one last attempt gives the syscall's real answer at that moment.
  async #retry(
    syscall: string,
    detail: string | undefined,
    events: number,
    { timeout, wait }: { timeout: number; wait: boolean },
    syscallFn: () => number,
  ): Promise<{ ok: true; value: number } | RawFail> {
    const deadline = performance.now() + timeout;
    for (;;) {
      const result = this.#call(syscall, detail, syscallFn);
      if (result >= 0) return { ok: true, value: result };
      if (result !== -EAGAIN || !wait) return fail(result, syscall);
      const remaining = Math.ceil(deadline - performance.now());
      if (remaining <= 0) return { ...fail(result, syscall), timedOut: true };
      const outcome = await this.#wait(events, remaining);
      if (outcome === poll.CANCELLED || this.#closed) return { ...fail(result, syscall), cancelled: true };
      if (outcome === poll.TIMED_OUT) {
        const last = this.#call(syscall, detail, syscallFn);
        if (last >= 0) return { ok: true, value: last };
        return { ...fail(last, syscall), timedOut: true };
      }
    }
  }
}
