/**
 * Finds the kernel socket behind what a user passes: a net.Socket (and so a tls.TLSSocket or an
 * http request/response socket), or a socket this library owns. The fd of a net.Socket belongs
 * to libuv: this library only sets and reads options on it and lets Node close it.
 */
import { Server, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { codedError } from './errors.js';
import { invalidArgType } from './validate.js';

/** Implemented by sockets this library owns (RawSocket): the fd, or a throw when closed. */
export const kFd: unique symbol = Symbol('sockctl.fd');
/** Implemented by sockets this library owns: closes the fd (used by `abort`). */
export const kClose: unique symbol = Symbol('sockctl.close');

/** A socket this library owns. */
export interface OwnedSocket {
  [kFd](): number;
  [kClose](): void;
}

/** Anything the controls accept: a connection, a listening net.Server, or an owned socket. */
export type SocketLike = Socket | Server | OwnedSocket;

interface NodeHandle {
  fd?: unknown;
}

function isOwned(target: unknown): target is OwnedSocket {
  return typeof target === 'object' && target !== null && kFd in target;
}

// Node keeps the libuv handle on `_handle` (sockets and servers alike); not part of its typed API.
function handleOf(target: Socket | Server): NodeHandle | null | undefined {
  return (target as unknown as { _handle?: NodeHandle | null })._handle;
}

/** The handle's fd: -1 when there is none (no handle, or libuv's -1 for a handle without one). */
function handleFd(handle: NodeHandle | null | undefined): number {
  const fd = handle?.fd;
  return Number.isInteger(fd) && (fd as number) >= 0 ? (fd as number) : -1;
}

function serverFd(server: Server): number {
  const fd = handleFd(handleOf(server));
  if (fd < 0) {
    throw codedError('ERR_SERVER_NOT_RUNNING', 'Server is not running');
  }
  return fd;
}

/** The fd of `target`, or a coded error saying why there is none. */
export function fdOf(target: unknown, name = 'socket'): number {
  // net.Socket first: it is what nearly every call passes, and the symbol lookup of isOwned
  // walks its whole prototype chain to miss (bench/: ~90 ns of a ~130 ns fdOf).
  if (target instanceof Socket) return socketFd(target);
  if (isOwned(target)) return target[kFd]();
  if (target instanceof Server) return serverFd(target);
  throw invalidArgType(name, 'an instance of net.Socket, tls.TLSSocket, net.Server or RawSocket', target);
}

/**
 * The fd of `target`, or -1 when it has none right now (destroyed, not connected, a server not
 * listening, a RawSocket closed): for batch reads, where one socket closing between two ticks
 * must not fail the others. What is not a socket at all still throws.
 */
export function fdOrNone(target: unknown, name = 'socket'): number {
  if (target instanceof Socket) {
    // A destroyed socket usually has no handle any more, but a TLSSocket destroyed for a failed
    // handshake keeps it until a microtask later, and its 'error' handlers run before that.
    return target.destroyed ? -1 : handleFd(handleOf(target));
  }
  if (isOwned(target)) {
    try {
      return target[kFd]();
    } catch {
      return -1;
    }
  }
  if (target instanceof Server) return handleFd(handleOf(target));
  throw invalidArgType(name, 'an instance of net.Socket, tls.TLSSocket, net.Server or RawSocket', target);
}

function socketFd(target: Socket): number {
  if (target.destroyed) {
    throw codedError('ERR_SOCKET_CLOSED', 'Socket is closed');
  }
  // A TLSSocket's handle is a TLSWrap, which reports the fd of the TCP handle it wraps.
  const handle = handleOf(target);
  const fd = handleFd(handle);
  if (fd < 0) {
    throw codedError(
      'ERR_SOCKET_NOT_CONNECTED',
      handle ? 'Socket has no file descriptor (not connected yet, or not backed by a kernel socket)' : 'Socket is not connected',
    );
  }
  return fd;
}

/**
 * The libuv handle object behind a plain net.Socket or net.Server whose fd is open, or null.
 * While `target._handle` is still this same object, its fd is open and still this socket's:
 * Node closes a handle and drops it from `_handle` in the same synchronous step (`_destroy`),
 * and a new connection on the same Socket gets a new handle. A TLSSocket's handle forwards to a
 * stream it does not own, so it is never vouched for here.
 */
export function stableHandle(target: unknown): object | null {
  if (!(target instanceof Socket || target instanceof Server) || target instanceof TLSSocket) return null;
  const handle = handleOf(target);
  return handleFd(handle) >= 0 ? (handle as NodeHandle) : null;
}

/** Whether `target._handle` is still `handle` (see {@link stableHandle}): a load and a compare. */
export function sameHandle(target: unknown, handle: object): boolean {
  return (target as { _handle?: unknown })._handle === handle;
}

/** Closes `target` through its owner: Node for a net.Socket, this library for a RawSocket. */
export function destroyThroughOwner(target: Socket | OwnedSocket): void {
  if (target instanceof Socket) {
    target.destroy();
  } else {
    target[kClose]();
  }
}
