/**
 * The step factories of one end of a scenario. Each method returns a {@link Step} to put in the
 * scenario's list; the syscalls themselves live in actions/ (io, options, observe).
 */
import type { KeepAliveOptions } from '../controls/options.js';
import type { TcpState } from '../controls/tcp-info.js';
import { forgedHeader, type ForgedSegment } from '../raw/forge.js';
import { validateObject, validateOneOf } from '../controls/validate.js';
import * as forging from './actions/forge.js';
import * as io from './actions/io.js';
import * as observe from './actions/observe.js';
import * as options from './actions/options.js';
import { DEFAULT_WAIT_MS, Step, type Action } from './step.js';
import type { EndName } from './types.js';

function quote(data: string | Uint8Array): string {
  if (typeof data === 'string') return data.length <= 16 ? `'${data}'` : `${Buffer.byteLength(data)} bytes`;
  return `${data.byteLength} bytes`;
}

export class End {
  constructor(readonly name: EndName) {}

  #step(op: string, detail: string, action: Action, forges = false): Step {
    return new Step(this.name, op, detail, action, forges);
  }

  /** bind(2) to the scenario's host, port 0: a port of its own, without a peer. */
  bind(): Step {
    return this.#step('bind', 'port 0', forging.bind(this.name));
  }

  /**
   * A forged RST to this end, as if from its peer: at `'next'`, the exact next sequence number
   * this end expects (RFC 9293: the connection is reset, the owner's next call fails
   * ECONNRESET); `'in-window'`, one past it (RFC 5961 §3: the kernel answers with a challenge
   * ACK and the connection lives); `'outside'`, 2^31 away (dropped without an answer). Needs
   * CAP_NET_RAW; the run captures to learn the sequence number (see {@link forge}).
   */
  forgeReset(place: forging.ResetPlace): Step {
    validateOneOf(place, 'place', ['next', 'in-window', 'outside'] as const);
    return this.#step('forgeReset', place, forging.forgeTo(this.name, undefined, forging.reset(place)), true);
  }

  /**
   * A forged SYN to this established end, at the next expected sequence number (RFC 5961 §4:
   * any SYN on a synchronized connection draws a challenge ACK; the connection lives).
   */
  forgeSyn(): Step {
    return this.#step('forgeSyn', 'in window', forging.forgeTo(this.name, undefined, forging.syn), true);
  }

  /**
   * A forged segment to this end with the header given, from its peer or, with `from`, from that
   * end's socket (which must be bound: see {@link End.bind}) — e.g. to a port nobody listens on.
   * The outcome is 'ok' once sent; the kernel's answer is on the wire (`segments`).
   */
  forge(segment: ForgedSegment & { from?: EndName }): Step {
    const { from, ...header } = validateObject(segment, 'segment');
    if (from !== undefined) validateOneOf(from, 'segment.from', ['client', 'server', 'listener'] as const);
    forgedHeader(header as ForgedSegment, 'segment');
    const detail = `${header.flags}${from ? ` from ${from}` : ''}`;
    return this.#step(
      'forge',
      detail,
      forging.forgeTo(this.name, from, () => header as ForgedSegment),
      true,
    );
  }

  /** connect(2) to the scenario's listener (or its closed port); waits up to `timeout` ms. */
  connect(opts: { timeout?: number } = {}): Step {
    return this.#step('connect', '', io.connect(this.name, opts.timeout ?? DEFAULT_WAIT_MS));
  }

  /** accept(2) on the listener; the accepted socket becomes the `server` end. */
  accept(opts: { timeout?: number } = {}): Step {
    return this.#step('accept', '', io.accept(opts.timeout ?? DEFAULT_WAIT_MS));
  }

  /** One send(2) with MSG_NOSIGNAL of `data` (waits for room up to `timeout` ms). */
  send(data: string | Uint8Array, opts: { timeout?: number } = {}): Step {
    return this.#step('send', quote(data), io.send(this.name, data, opts.timeout ?? DEFAULT_WAIT_MS));
  }

  /**
   * send(2) without waiting until the kernel answers EAGAIN: fills the send buffer and the
   * peer's receive window. The step's outcome is 'ok' with the bytes queued, or the errno.
   */
  fill(opts: { maxBytes?: number } = {}): Step {
    const maxBytes = opts.maxBytes ?? 64 << 20;
    return this.#step('fill', `up to ${maxBytes} bytes`, io.fill(this.name, maxBytes));
  }

  /** One recv(2) of at most `maxBytes`; waits for data up to `timeout` ms. 0 bytes = 'EOF'. */
  recv(maxBytes = 65536, opts: { timeout?: number } = {}): Step {
    const detail = `${maxBytes} byte${maxBytes === 1 ? '' : 's'}`;
    return this.#step('recv', detail, io.recv(this.name, maxBytes, opts.timeout ?? DEFAULT_WAIT_MS));
  }

  /** shutdown(2): 'write' sends FIN, 'read' stops receiving, 'both'. */
  shutdown(how: 'read' | 'write' | 'both'): Step {
    return this.#step('shutdown', `how=${how}`, io.shutdown(this.name, how));
  }

  /** close(2). With unread data in the receive queue the kernel sends RST instead of FIN. */
  close(): Step {
    return this.#step('close', '', io.close(this.name));
  }

  /** SO_LINGER {on, 0} then close(2): the kernel sends RST. */
  abort(): Step {
    return this.#step('abort', 'linger 0 + close', io.abort(this.name));
  }

  /** SO_LINGER: ms (whole seconds, see {@link setLinger}), or null for off. */
  linger(ms: number | null): Step {
    return this.#step('linger', ms === null ? 'off' : `${ms} ms`, options.linger(this.name, ms));
  }

  /** SO_KEEPALIVE and its timers (ms, see {@link setKeepAlive}). */
  keepalive(opts: KeepAliveOptions): Step {
    const detail = `idle=${opts.idle ?? '-'} interval=${opts.interval ?? '-'} count=${opts.count ?? '-'}`;
    return this.#step('keepalive', detail, options.keepalive(this.name, opts));
  }

  /** TCP_USER_TIMEOUT in ms. */
  userTimeout(ms: number): Step {
    return this.#step('userTimeout', `${ms} ms`, options.userTimeout(this.name, ms));
  }

  /** Any integer socket option (setsockopt). */
  option(level: number, name: number, value: number): Step {
    return this.#step('option', `${level}/${name}=${value}`, options.option(this.name, level, name, value));
  }

  /** Attaches a drop-all socket filter: this end goes silent (needs CAP_NET_ADMIN). */
  blackhole(): Step {
    return this.#step('blackhole', 'drop-all filter', options.silence(this.name));
  }

  /** Detaches the filter: this end hears again. */
  unblackhole(): Step {
    return this.#step('unblackhole', '', options.unsilence(this.name));
  }

  /** Asks the kernel to destroy this end's socket (SOCK_DESTROY; needs CAP_NET_ADMIN). */
  kill(): Step {
    return this.#step('kill', 'SOCK_DESTROY', options.killEnd(this.name));
  }

  /** Waits until the socket is readable (data, FIN or a pending error), up to `timeout` ms. */
  waitReadable(timeout = DEFAULT_WAIT_MS): Step {
    return this.#step('waitReadable', `${timeout} ms`, observe.waitReadable(this.name, timeout));
  }

  /** Waits until tcp_info reports `state` for this end, up to `timeout` ms. */
  waitState(state: TcpState, timeout = DEFAULT_WAIT_MS): Step {
    return this.#step('waitState', state, observe.waitState(this.name, state, timeout));
  }

  /**
   * Runs the leak check of `sockctl/testing` (expectNoLeakedSockets) on this end's connection:
   * the outcome is the state it names this end's socket with, 'none' when it does not name it.
   */
  leakCheck(): Step {
    return this.#step('leakCheck', 'snapshot vs nothing', observe.leakCheck(this.name));
  }

  /**
   * Counts TIME_WAIT sockets of this scenario's connection (the listener's port and the
   * client's port) in the kernel's table (/proc/net/tcp*); the outcome is the count. With an
   * expectation it waits up to `timeout` ms for the count to reach it.
   */
  timeWait(timeout = 1000): Step {
    return this.#step('timeWait', 'count on listener port', observe.timeWait(timeout));
  }
}
