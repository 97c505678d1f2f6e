/**
 * The optional wire record of fault fixtures (`capture: true`): one capture per fixture, and on
 * each connection's record the segments of that connection, named from the fixture's side.
 */
import { codedError, type PrivilegeError } from '../controls/errors.js';
import { canCapture, Capture } from '../raw/capture.js';
import type { RawSocket } from '../raw/raw-socket.js';
import { wireSegments, type WireSegment } from '../raw/wire.js';

/** The segments of one fixture connection, as its record shows them. */
export interface ConnectionWire {
  /** This connection's own end in `segments`: 'server' for faultServer, 'client' for faultClient. */
  readonly self: 'server' | 'client';
  /**
   * The connection's segments, oldest first, relative to each side's first sequence number;
   * `atMs` is since the fixture started. Read live while the fixture runs; kept after close().
   */
  readonly segments: readonly WireSegment[];
  /** Copies the kernel dropped (the capture ring was full): segments missing from the list. */
  readonly dropped: number;
}

/** Refuses up front a fixture that would capture where the kernel will not allow it. */
export function requireCapture(what: string): void {
  const probe = canCapture();
  if (probe.ok) return;
  const error = codedError(probe.code ?? 'EPERM', `${what} needs a packet socket: ${probe.reason}`) as PrivilegeError;
  error.syscall = 'socket';
  error.option = 'AF_PACKET';
  if (probe.code === 'EPERM') error.missing = 'CAP_NET_RAW';
  throw error;
}

/** Opens the fixture's capture on `socket`'s port (its listener, or its one client socket). */
export function openCapture(socket: RawSocket): Capture {
  return Capture.open(socket);
}

/**
 * Gives `record` a `wire` property: the segments between `localPort` and `remotePort`, with the
 * fixture's end named `self` and the other end the other role.
 */
export function attachWire(
  record: { wire?: ConnectionWire },
  capture: Capture,
  self: 'server' | 'client',
  localPort: number,
  remotePort: number,
  origin: number,
): void {
  const peer = self === 'server' ? 'client' : 'server';
  const wire = { self } as ConnectionWire;
  Object.defineProperties(wire, {
    segments: {
      enumerable: true,
      get: () =>
        wireSegments(
          capture.segments.filter(
            (s) =>
              (s.source.port === localPort && s.destination.port === remotePort) ||
              (s.source.port === remotePort && s.destination.port === localPort),
          ),
          (end) => (end.port === localPort ? self : peer),
          origin,
        ),
    },
    dropped: { enumerable: true, get: () => capture.dropped },
  });
  record.wire = wire;
}
