/**
 * A fixture's live rules, shared by faultServer and faultProxy: its toxics (added, changed and
 * removed while it runs, each change handed to the open connections), the seed, the filter its
 * listener needs for what new connections may meet before accept(), and the failures that
 * belong to no connection.
 */
import { performance } from 'node:perf_hooks';
import type { SocketLike } from '../controls/handle.js';
import { validateBoolean, validateKeys, validateObject } from '../controls/validate.js';
import { attachFilter, detachFilter, HANDSHAKE_ONLY, lossProgram } from '../raw/filter.js';
import { requireBlackhole, type FixtureError } from './common.js';
import { FILTER_TOXICS, round, ToxicSet, type ActiveToxic, type Toxic, type ToxicChanges, type ToxicScope } from './toxics.js';

export type ToxicChange = (kind: 'add' | 'update' | 'remove', toxic: ActiveToxic, before?: ActiveToxic) => void;

const MAX_ERRORS = 100;

export class FixtureRules {
  readonly toxics: ToxicSet;
  readonly seed: number;
  readonly origin = performance.now();
  readonly errors: FixtureError[] = [];
  /** The listener has had a filter: an accepted socket may carry it. */
  everFiltered = false;
  readonly #onChange: ToxicChange;
  #listenerFilter = 'none';

  constructor(scope: ToxicScope, toxics: ActiveToxic[], seed: number, onChange: ToxicChange) {
    this.toxics = new ToxicSet(scope, toxics);
    this.seed = seed;
    this.#onChange = onChange;
  }

  /** Checks and adds a toxic (probing the privilege of a filter toxic first); acts at once. */
  add(toxic: Toxic): ActiveToxic {
    if (typeof toxic === 'object' && toxic !== null && FILTER_TOXICS.has((toxic as Toxic).type)) {
      requireBlackhole(`toxic '${(toxic as Toxic).type}'`);
    }
    const added = this.toxics.add(toxic);
    this.#onChange('add', added);
    return { ...added };
  }

  update(name: string, changes: ToxicChanges): ActiveToxic {
    const { before, after } = this.toxics.update(name, changes);
    this.#onChange('update', after, before);
    return { ...after };
  }

  remove(name: string): void {
    this.#onChange('remove', this.toxics.remove(name));
  }

  /** The toxics in effect (copies). */
  list(): ActiveToxic[] {
    return this.toxics.list().map((t) => ({ ...t }));
  }

  /**
   * Gives `listener` (whose filter every accepted socket inherits) what a new connection must
   * meet before accept(): the handshake only, its bytes dropped, when it may be silent from its
   * first byte (an upstream timeout toxic, or `silentAhead`: a script that starts silent); the
   * loss program when an upstream packetLoss may act; nothing otherwise. A connection that
   * turns out not to need it has it detached at accept: its first bytes then arrive one
   * retransmission timeout later (~200 ms on loopback), the price of a silence that is exact.
   */
  syncListener(listener: SocketLike, silentAhead: boolean): void {
    const acting = this.toxics.list().filter((t) => t.stream === 'upstream' && t.toxicity > 0);
    let want = 'none';
    if (silentAhead || acting.some((t) => t.type === 'timeout')) want = 'silence';
    else {
      const losses = acting.flatMap((t) => (t.type === 'packetLoss' ? [t.probability] : []));
      if (losses.length > 0) want = `loss:${1 - losses.reduce((keep, p) => keep * (1 - p), 1)}`;
    }
    if (want === this.#listenerFilter) return;
    try {
      if (want === 'none') detachFilter(listener);
      else attachFilter(listener, want === 'silence' ? HANDSHAKE_ONLY : lossProgram(Number(want.slice(5))));
      this.#listenerFilter = want;
      if (want !== 'none') this.everFiltered = true;
    } catch (error) {
      this.error(error, 'setsockopt');
    }
  }

  /** A new listening socket (after up()) starts without a filter. */
  newListener(): void {
    this.#listenerFilter = 'none';
  }

  /** Records a failure that belongs to no connection (the first 100). */
  error(error: unknown, syscall: string): void {
    if (this.errors.length >= MAX_ERRORS) return;
    const e = error as { code?: unknown; syscall?: unknown };
    this.errors.push({
      at: this.now(),
      code: String(e.code ?? error),
      syscall: typeof e.syscall === 'string' ? e.syscall : syscall,
    });
  }

  now(): number {
    return round(performance.now() - this.origin);
  }
}

/** The options of `down()`: `{ resetOpen }`. */
export function downOptions(options: unknown): { resetOpen: boolean } {
  const o = validateObject(options as { resetOpen?: unknown }, 'options');
  validateKeys(o, 'options', ['resetOpen']);
  return { resetOpen: validateBoolean(o.resetOpen, 'options.resetOpen', false) };
}
