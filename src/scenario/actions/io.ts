/** Steps that make one syscall on an end's socket: connect, accept, send, recv, shutdown, close. */
import { DEFAULT_WAIT_MS, fromResult, socketOf, type Action } from '../step.js';
import type { EndName } from '../types.js';

/** connect(2) to the scenario's listener (or its closed port). */
export function connect(end: EndName, timeout: number): Action {
  return async (ctx) => {
    const socket = socketOf(ctx, end);
    const port = ctx.ends.closedPort ?? ctx.port;
    const result = await socket.connect(ctx.host, port, { timeout });
    if (result.ok) ctx.clientPort = socket.localAddress?.port;
    return fromResult(result);
  };
}

/** accept(2) on the listener; the accepted socket becomes the `server` end. */
export function accept(timeout: number): Action {
  return async (ctx) => {
    const result = await socketOf(ctx, 'listener').accept({ timeout });
    if (result.ok) ctx.ends.server = result.socket;
    return fromResult(result);
  };
}

export function send(end: EndName, data: string | Uint8Array, timeout: number): Action {
  return async (ctx) => fromResult(await socketOf(ctx, end).send(data, { timeout }));
}

/** send(2) without waiting until EAGAIN: 'ok' with the bytes queued, or the errno. */
export function fill(end: EndName, maxBytes: number): Action {
  return async (ctx) => {
    const socket = socketOf(ctx, end);
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
  };
}

export function recv(end: EndName, maxBytes: number, timeout: number): Action {
  return async (ctx) => fromResult(await socketOf(ctx, end).recv(maxBytes, { timeout }));
}

export function shutdown(end: EndName, how: 'read' | 'write' | 'both'): Action {
  return (ctx) => fromResult(socketOf(ctx, end).shutdown(how));
}

export function close(end: EndName): Action {
  return (ctx) => fromResult(socketOf(ctx, end).close());
}

export function abort(end: EndName): Action {
  return (ctx) => fromResult(socketOf(ctx, end).abort());
}

export { DEFAULT_WAIT_MS };
