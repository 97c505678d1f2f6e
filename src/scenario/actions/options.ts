/** Steps that set a socket option or ask the kernel to act on an end: they work or throw. */
import { setKeepAlive, setLinger, setOption, setUserTimeout, type KeepAliveOptions } from '../../controls/options.js';
import { blackhole, unblackhole } from '../../raw/blackhole.js';
import { kill } from '../../raw/kill.js';
import { applied, socketOf, type Action } from '../step.js';
import type { EndName } from '../types.js';

export function linger(end: EndName, ms: number | null): Action {
  return (ctx) => applied(() => setLinger(socketOf(ctx, end), ms));
}

export function keepalive(end: EndName, options: KeepAliveOptions): Action {
  return (ctx) => applied(() => setKeepAlive(socketOf(ctx, end), options));
}

export function userTimeout(end: EndName, ms: number): Action {
  return (ctx) => applied(() => setUserTimeout(socketOf(ctx, end), ms));
}

export function option(end: EndName, level: number, name: number, value: number): Action {
  return (ctx) => applied(() => setOption(socketOf(ctx, end), level, name, value));
}

export function silence(end: EndName): Action {
  return (ctx) => applied(() => blackhole(socketOf(ctx, end)));
}

export function unsilence(end: EndName): Action {
  return (ctx) => applied(() => unblackhole(socketOf(ctx, end)));
}

export function killEnd(end: EndName): Action {
  return (ctx) => applied(() => kill(socketOf(ctx, end)), 'sock_diag');
}
