/**
 * Steps that forge a segment to an end (raw/forge) and wait until the kernel's answer, if any,
 * is on the capture: an RST at a chosen place in the window, a SYN on an established
 * connection, a segment for a port nobody listens on. The sequence numbers come from what the
 * capture saw, so "the next expected sequence number" is the one this connection expects.
 */
import type { Capture } from '../../raw/capture.js';
import { forge, forgedHeader, type ForgedSegment } from '../../raw/forge.js';
import type { RawSocket } from '../../raw/raw-socket.js';
import { fromResult, socketOf, type Action } from '../step.js';
import type { EndName, StepOutput } from '../types.js';

/** Where a forged RST's sequence number sits in the receiver's window. */
export type ResetPlace = 'next' | 'in-window' | 'outside';

/**
 * The next sequence number `to` expects from `from`, from the segments the capture saw
 * between them: the end of the last one (SYN and FIN count one). Undefined before any was seen.
 */
export function nextExpected(capture: Capture, from: number, to: number): number | undefined {
  let base: number | undefined;
  let furthest = -1;
  for (const s of capture.segments) {
    if (s.forged || s.source.port !== from || s.destination.port !== to) continue;
    base ??= s.seq;
    const end = s.seq + s.length + (s.flagBits & 0x02 ? 1 : 0) + (s.flagBits & 0x01 ? 1 : 0);
    furthest = Math.max(furthest, (end - base) >>> 0);
  }
  return base === undefined ? undefined : (base + furthest) >>> 0;
}

function ports(target: RawSocket, from: RawSocket | undefined): { source?: number; destination?: number } {
  return { source: (from ? from.localAddress : target.remoteAddress)?.port, destination: target.localAddress?.port };
}

/**
 * Forges the segment `make` builds (from the next sequence number `to` expects, when known) to
 * `end`, from its peer or from `fromEnd`'s socket; then waits for the capture to settle so the
 * kernel's answer belongs to this step.
 */
export function forgeTo(
  end: EndName,
  fromEnd: EndName | undefined,
  make: (next: number | undefined) => ForgedSegment | string,
): Action {
  return async (ctx): Promise<StepOutput> => {
    const capture = ctx.capture;
    if (!capture) throw new Error('a forge step needs the run to capture (run({ wire: true }))');
    const target = socketOf(ctx, end);
    const from = fromEnd === undefined ? undefined : socketOf(ctx, fromEnd);
    const { source, destination } = ports(target, from);
    if (source === undefined || destination === undefined) {
      return { syscall: 'getpeername', outcome: from ? 'EINVAL' : 'ENOTCONN' };
    }
    const segment = make(nextExpected(capture, source, destination));
    if (typeof segment === 'string') return { syscall: 'forge', outcome: segment };
    const header = forgedHeader(segment);
    capture.expectForged({ sourcePort: source, destinationPort: destination, seq: header.seq, flagBits: header.flagBits });
    const result = forge(target, segment, from ? { from } : {});
    await capture.settle();
    return fromResult(result);
  };
}

/** An RST at `place`: the next expected number, one past it (in the window), or 2^31 away. */
export function reset(place: ResetPlace): (next: number | undefined) => ForgedSegment | string {
  return (next) => {
    if (next === undefined) return 'no segment seen to take the sequence number from';
    const offset = place === 'next' ? 0 : place === 'in-window' ? 1 : 2 ** 31;
    return { flags: 'R', seq: (next + offset) >>> 0 };
  };
}

/** A SYN at the next expected sequence number: in the window, yet a SYN (RFC 5961 §4). */
export function syn(next: number | undefined): ForgedSegment | string {
  if (next === undefined) return 'no segment seen to take the sequence number from';
  return { flags: 'S', seq: next, window: 65535 };
}

/** bind(2) to the scenario's host, port 0: the socket gets a port of its own without a peer. */
export function bind(end: EndName): Action {
  return (ctx) => fromResult(socketOf(ctx, end).bind(ctx.host, 0));
}
