/**
 * The toxics of one connection: which of the fixture's toxics act on it (drawn once from the
 * seed), the shapers of its two streams, the socket filters that make `timeout` a real silence
 * and `packetLoss` a real loss, and the timers of `resetPeer` and of `timeout`'s deadline. The
 * same for a proxied connection and a fault server's.
 */
import { performance } from 'node:perf_hooks';
import type { SocketLike } from '../controls/handle.js';
import { attachFilter, detachFilter, DROP_ALL, lossProgram } from '../raw/filter.js';
import {
  actsOnConnection,
  pushEvent,
  round,
  StreamShaper,
  type ActiveToxic,
  type ToxicEvent,
  type ToxicSet,
  type ToxicStream,
} from './toxics.js';

/** What the toxics act through: the fixture's sockets and its ways to end the connection. */
export interface ToxicTargets {
  /** The fixture's socket that receives `stream` (a filter there silences its sender). */
  receiver(stream: ToxicStream): SocketLike | undefined;
  /** RST now (resetPeer). */
  reset(): void;
  /** Close now (timeout's deadline, as Toxiproxy's timeout closes). */
  close(): void;
  /** A stream went silent or spoke again. */
  silenceChanged?(): void;
}

type Filter = 'none' | 'inherited' | 'silence' | `loss:${number}`;
const STREAMS: readonly ToxicStream[] = ['upstream', 'downstream'];

export class ConnectionToxics {
  readonly #set: ToxicSet;
  readonly #seed: number;
  readonly #number: number;
  readonly #events: ToxicEvent[];
  readonly #origin: number;
  readonly #targets: ToxicTargets;
  readonly #shapers: Record<ToxicStream, StreamShaper>;
  readonly #decided = new Map<string, { toxicity: number; acts: boolean }>();
  readonly #filters: Record<ToxicStream, Filter>;
  readonly #pinned = new Set<ToxicStream>();
  /** The packetLoss toxics whose loss the filter carries now, each recorded 'filter' once. */
  readonly #losing = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #disposed = false;

  /**
   * `number` identifies the connection in the seeded draws (1 for the first, as the proxy
   * counts); `inherited` names the streams whose socket came with the listener's filter.
   */
  constructor(
    set: ToxicSet,
    seed: number,
    number: number,
    events: ToxicEvent[],
    origin: number,
    targets: ToxicTargets,
    inherited: readonly ToxicStream[] = [],
  ) {
    this.#set = set;
    this.#seed = seed;
    this.#number = number;
    this.#events = events;
    this.#origin = origin;
    this.#targets = targets;
    const applies = (toxic: ActiveToxic) => this.acts(toxic);
    this.#shapers = {
      upstream: new StreamShaper(set, 'upstream', seed, number, applies),
      downstream: new StreamShaper(set, 'downstream', seed, number, applies),
    };
    this.#filters = { upstream: 'none', downstream: 'none' };
    for (const stream of inherited) this.#filters[stream] = 'inherited';
  }

  /** Whether `toxic` acts on this connection (its toxicity drawn once, from the seed). */
  acts(toxic: ActiveToxic): boolean {
    const known = this.#decided.get(toxic.name);
    if (known !== undefined && known.toxicity === toxic.toxicity) return known.acts;
    const acts = actsOnConnection(this.#seed, this.#number, toxic);
    this.#decided.set(toxic.name, { toxicity: toxic.toxicity, acts });
    return acts;
  }

  shaper(stream: ToxicStream): StreamShaper {
    return this.#shapers[stream];
  }

  /** Decides every toxic, records the spared ones, sets the filters and starts the timers. */
  start(): void {
    for (const toxic of this.#set.list()) this.#begin(toxic);
    for (const stream of STREAMS) this.#sync(stream);
  }

  /** A socket became ready (the proxy's upstream connected): its stream gets its filter. */
  resync(): void {
    if (!this.#disposed) for (const stream of STREAMS) this.#sync(stream);
  }

  /** A toxic was added, changed or removed on the live fixture: acts on this open connection. */
  changed(kind: 'add' | 'update' | 'remove', toxic: ActiveToxic, before?: ActiveToxic): void {
    if (this.#disposed) return;
    this.#clearTimer(toxic.name);
    if (kind === 'remove') {
      const acted = this.#decided.get(toxic.name)?.acts;
      this.#decided.delete(toxic.name);
      if (acted) this.#endFilterToxic(toxic);
    } else {
      if (kind === 'update' && before && this.#decided.get(before.name)?.acts && !this.acts(toxic)) this.#endFilterToxic(before);
      this.#begin(toxic);
    }
    for (const stream of STREAMS) this.#sync(stream);
  }

  /** The script's `silent` step: the stream stays silent whatever the toxics say. */
  pinSilent(stream: ToxicStream): void {
    this.#pinned.add(stream);
    this.#sync(stream);
  }

  /** Whether `stream`'s sender meets silence now. */
  silenced(stream: ToxicStream): boolean {
    return this.#filters[stream] === 'silence';
  }

  /** How long a FIN in `stream` is held (the longest slowClose acting), ms. */
  slowClose(stream: ToxicStream): { delay: number; toxic?: ActiveToxic } {
    let found: { delay: number; toxic?: ActiveToxic } = { delay: 0 };
    for (const toxic of this.#set.list()) {
      if (toxic.type === 'slowClose' && toxic.stream === stream && this.acts(toxic) && toxic.delay > found.delay) {
        found = { delay: toxic.delay, toxic };
      }
    }
    return found;
  }

  /** Records an event now. */
  event(toxic: ActiveToxic, action: ToxicEvent['action'], extra: Partial<ToxicEvent> = {}): void {
    pushEvent(this.#events, { toxic: toxic.name, type: toxic.type, stream: toxic.stream, action, at: this.now(), ...extra });
  }

  now(): number {
    return round(performance.now() - this.#origin);
  }

  /** Stops the timers; the connection is closed. */
  dispose(): void {
    this.#disposed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #begin(toxic: ActiveToxic): void {
    if (!this.acts(toxic)) {
      // Only a per-connection draw spares: a per-chunk toxic acts on every connection.
      this.event(toxic, 'spared');
      return;
    }
    if (toxic.type === 'resetPeer') {
      this.#timer(toxic, toxic.timeout, () => {
        this.event(toxic, 'reset');
        this.#targets.reset();
      });
    }
    if (toxic.type === 'timeout' && toxic.timeout > 0) {
      this.#timer(toxic, toxic.timeout, () => {
        this.event(toxic, 'close');
        this.#targets.close();
      });
    }
  }

  #endFilterToxic(toxic: ActiveToxic): void {
    if (toxic.type === 'timeout') this.event(toxic, 'unsilence');
    if (toxic.type === 'packetLoss') {
      this.#losing.delete(toxic.name);
      this.event(toxic, 'unfilter');
    }
  }

  #timer(toxic: ActiveToxic, ms: number, fire: () => void): void {
    if (ms === 0) {
      // At once means before any byte is forwarded or answered: no turn of the event loop.
      queueMicrotask(() => {
        if (!this.#disposed) fire();
      });
      return;
    }
    this.#timers.set(
      toxic.name,
      setTimeout(() => {
        this.#timers.delete(toxic.name);
        if (!this.#disposed) fire();
      }, ms),
    );
  }

  #clearTimer(name: string): void {
    clearTimeout(this.#timers.get(name));
    this.#timers.delete(name);
  }

  // Puts on the stream's receiving socket the filter the acting toxics ask for: drop-all for a
  // timeout (or a pinned silence), a random-loss program for packetLoss, none otherwise.
  #sync(stream: ToxicStream): void {
    let want: Filter = 'none';
    const acting = this.#set.list().filter((t) => t.stream === stream && this.acts(t));
    const timeouts = acting.filter((t) => t.type === 'timeout');
    const losses = acting.flatMap((t) => (t.type === 'packetLoss' ? [t] : []));
    if (this.#pinned.has(stream) || timeouts.length > 0) want = 'silence';
    else if (losses.length > 0) want = `loss:${1 - losses.reduce((keep, t) => keep * (1 - t.probability), 1)}`;
    const have = this.#filters[stream];
    if (want === have) return;
    const socket = this.#targets.receiver(stream);
    if (socket === undefined) return;
    try {
      if (want === 'none') detachFilter(socket);
      else attachFilter(socket, want === 'silence' ? DROP_ALL : lossProgram(Number(want.slice(5))));
    } catch {
      // Closed under us (ERR_SOCKET_CLOSED), or ENOENT: no filter to detach. The privilege was
      // probed before the toxic was accepted.
    }
    this.#filters[stream] = want;
    if (want === 'silence' && have !== 'silence') for (const t of timeouts) this.event(t, 'silence');
    // Each loss toxic the new filter carries and the old did not (one added to a running loss,
    // or all of them when a silence gives way) records 'filter'.
    if (!want.startsWith('loss:')) this.#losing.clear();
    for (const t of want.startsWith('loss:') ? losses : []) {
      if (this.#losing.has(t.name)) continue;
      this.#losing.add(t.name);
      this.event(t, 'filter');
    }
    if ((want === 'silence') !== (have === 'silence')) this.#targets.silenceChanged?.();
  }
}
