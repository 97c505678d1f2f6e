/** Steps that only observe the kernel: readiness, the TCP state, the TIME_WAIT table. */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describeSocket, leakNamed } from '../../controls/leaks.js';
import { tcpInfo, type TcpState } from '../../controls/tcp-info.js';
import { validatePort } from '../../controls/validate.js';
import { delay, socketOf, type Action } from '../step.js';
import type { EndName } from '../types.js';

/**
 * Sockets in TIME_WAIT whose local port is `port` (and, when given, whose remote port is
 * `remotePort`), from the kernel's table in /proc/net/tcp and /proc/net/tcp6.
 */
export function timeWaitSockets(port: number, remotePort?: number): number {
  validatePort(port, 'port');
  if (remotePort !== undefined) validatePort(remotePort, 'remotePort');
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

export function waitReadable(end: EndName, timeout: number): Action {
  return async (ctx) => {
    const ready = await socketOf(ctx, end).readable(timeout);
    return ready ? { syscall: 'poll', outcome: 'ok' } : { syscall: 'poll', outcome: 'timeout', timedOut: true };
  };
}

/**
 * Waits until tcp_info reports `state`: wakes on the socket's readiness (FIN and RST make it
 * readable) and re-reads the state; where readiness cannot tell (unread data already queued, an
 * ACK that moves FIN_WAIT1 to FIN_WAIT2), re-reads it every few milliseconds.
 */
export function waitState(end: EndName, state: TcpState, timeout: number): Action {
  return async (ctx) => {
    const socket = socketOf(ctx, end);
    const deadline = performance.now() + timeout;
    for (;;) {
      const now = tcpInfo(socket).state;
      if (now === state) return { syscall: 'wait', outcome: 'ok' };
      const left = deadline - performance.now();
      if (left <= 0) return { syscall: 'wait', outcome: now, timedOut: true };
      const start = performance.now();
      // readable() takes whole milliseconds; `left` is a fraction of one.
      await socket.readable(Math.ceil(Math.min(left, 10)));
      // Readable but unchanged (data already queued): do not spin on the same readiness.
      if (performance.now() - start < 2) await delay(Math.min(5, Math.max(0, left)));
    }
  };
}

/**
 * Counts the TIME_WAIT sockets of the scenario's connection (the listener's port and the
 * client's port). With an expectation it waits up to `timeout` ms for the count to reach it:
 * the last ACK of a close is processed asynchronously.
 */
export function timeWait(timeout: number): Action {
  return async (ctx, step) => {
    const deadline = performance.now() + timeout;
    const countOurs = () => timeWaitSockets(ctx.port, ctx.clientPort);
    let count = countOurs();
    // Bounded by the deadline; re-reads the table every 5 ms.
    while (step.expected !== undefined && String(count) !== step.expected && performance.now() < deadline) {
      await delay(5);
      count = countOurs();
    }
    return { syscall: 'check', outcome: String(count) };
  };
}

/**
 * The leak check of `sockctl/testing` on this end's connection: the outcome is the state it names
 * this end's socket with ('none' when it does not name it), the report its line for the socket.
 */
export function leakCheck(end: EndName): Action {
  return (ctx) => {
    const socket = socketOf(ctx, end);
    const named = leakNamed(socket.localAddress?.port, socket.remoteAddress?.port);
    return named === undefined
      ? { syscall: 'sock_diag', outcome: 'none' }
      : { syscall: 'sock_diag', outcome: named.state, report: describeSocket(named) };
  };
}
