/**
 * Toxics: Toxiproxy's network faults (latency, bandwidth, slicer, slow close, limit data,
 * timeout, reset peer) plus real packet loss, named as Toxiproxy names them (camelCased), each
 * on one stream with a toxicity. This file holds their types and checks, the seeded random
 * numbers that decide where a toxic acts (so a run can be replayed), and the shaper that turns
 * a chunk into timed pieces for the data toxics. The fixtures apply the rest: silence and loss
 * are socket filters, reset peer a timer, slow close a delayed FIN.
 */
import { performance } from 'node:perf_hooks';
import {
  invalidArgType,
  invalidArgValue,
  MAX_MS,
  validateInteger,
  validateKeys,
  validateNumber,
  validateObject,
  validateOneOf,
  orDefault,
} from '../controls/validate.js';

/**
 * Which bytes a toxic acts on: `'upstream'` client → server, `'downstream'` server → client
 * (Toxiproxy's names). Default `'downstream'`, as in Toxiproxy.
 */
export type ToxicStream = 'upstream' | 'downstream';

interface ToxicCommon {
  /** Unique per fixture; default `<type>_<stream>`, as Toxiproxy names toxics. */
  name?: string;
  stream?: ToxicStream;
  /** The fraction (0–1) of connections, or of chunks, it acts on. Default 1. */
  toxicity?: number;
  /**
   * What `toxicity` picks: `'connection'` (default, as Toxiproxy: decided once per connection)
   * or `'chunk'` (each chunk anew; latency, bandwidth and slicer only).
   */
  toxicityPer?: 'connection' | 'chunk';
}

/** Delays each chunk by `latency` ± `jitter` ms from when it arrived (chunks keep their order). */
export interface LatencyToxic extends ToxicCommon {
  type: 'latency';
  latency: number;
  jitter?: number;
}

/** Passes at most `bytesPerSecond` (Toxiproxy's `rate` is in KB/s; this is bytes). */
export interface BandwidthToxic extends ToxicCommon {
  type: 'bandwidth';
  bytesPerSecond: number;
}

/** Cuts the stream into slices of `averageSize` ± `sizeVariation` bytes, `delay` ms apart. */
export interface SlicerToxic extends ToxicCommon {
  type: 'slicer';
  averageSize: number;
  sizeVariation?: number;
  /** ms between slices (Toxiproxy's is in µs). Default 0. */
  delay?: number;
}

/** Holds the FIN of the stream for `delay` ms. */
export interface SlowCloseToxic extends ToxicCommon {
  type: 'slowClose';
  delay: number;
}

/** Closes the connection once `bytes` bytes of the stream went through: FIN (default) or RST. */
export interface LimitDataToxic extends ToxicCommon {
  type: 'limitData';
  bytes: number;
  then?: 'fin' | 'reset';
}

/**
 * Real silence: the socket facing the sender of the stream drops everything it receives (a
 * drop-all socket filter), so the sender's kernel meets retransmission timeouts and its own
 * user timeout or keepalive fires ETIMEDOUT. After `timeout` ms the connection is closed;
 * 0 (default) keeps it silent until the toxic is removed. Needs CAP_NET_ADMIN.
 */
export interface TimeoutToxic extends ToxicCommon {
  type: 'timeout';
  timeout?: number;
}

/** Resets the connection (RST both ways) `timeout` ms after it opened, idle or not. Default 0. */
export interface ResetPeerToxic extends ToxicCommon {
  type: 'resetPeer';
  timeout?: number;
}

/**
 * Drops each arriving segment that carries payload with this probability, in the kernel (a
 * cBPF filter reading the kernel's random number): the sender's kernel retransmits, every
 * byte still arrives. Needs CAP_NET_ADMIN.
 */
export interface PacketLossToxic extends ToxicCommon {
  type: 'packetLoss';
  probability: number;
}

export type Toxic =
  LatencyToxic | BandwidthToxic | SlicerToxic | SlowCloseToxic | LimitDataToxic | TimeoutToxic | ResetPeerToxic | PacketLossToxic;

export type ToxicType = Toxic['type'];

/** A toxic as a fixture holds it: every default filled in. */
export type ActiveToxic = { [T in Toxic as T['type']]: Required<T> }[ToxicType];

/** Changes to a toxic's fields (those of its type); `type` and `name` cannot change. */
export interface ToxicChanges {
  stream?: ToxicStream;
  toxicity?: number;
  toxicityPer?: 'connection' | 'chunk';
  latency?: number;
  jitter?: number;
  bytesPerSecond?: number;
  averageSize?: number;
  sizeVariation?: number;
  delay?: number;
  bytes?: number;
  then?: 'fin' | 'reset';
  timeout?: number;
  probability?: number;
}

/** What a toxic did on a connection, with when. */
export interface ToxicEvent {
  /** The toxic's name. */
  toxic: string;
  type: ToxicType;
  stream: ToxicStream;
  /**
   * `'delay'` (latency, bandwidth, slicer held bytes), `'cut'` (limitData closed),
   * `'silence'` / `'unsilence'` (timeout's filter attached / removed), `'close'` (timeout's
   * deadline), `'reset'` (resetPeer), `'slow-close'` (a FIN held), `'filter'` /
   * `'unfilter'` (packetLoss), `'spared'` (toxicity left this connection alone).
   */
  action: 'delay' | 'cut' | 'silence' | 'unsilence' | 'close' | 'reset' | 'slow-close' | 'filter' | 'unfilter' | 'spared';
  /** ms since the fixture started: when the bytes were delivered, or the action taken. */
  at: number;
  /** Offset in the stream of the first byte acted on. */
  offset?: number;
  bytes?: number;
  /** What this toxic meant to add, ms (latency with its jitter, a slicer's or bandwidth's pacing). */
  plannedMs?: number;
  /** Measured: from the chunk's arrival to the delivery of its last byte, ms (all toxics together). */
  delayMs?: number;
  /** Slices the chunk was cut into (slicer, bandwidth). */
  pieces?: number;
}

/** Events kept per connection; later ones are counted in the docs' terms, not stored. */
export const MAX_TOXIC_EVENTS = 1_000;
/** Toxics on one fixture at once. */
export const MAX_TOXICS = 100;

const TYPES: readonly ToxicType[] = [
  'latency',
  'bandwidth',
  'slicer',
  'slowClose',
  'limitData',
  'timeout',
  'resetPeer',
  'packetLoss',
];
const STREAMS: readonly ToxicStream[] = ['upstream', 'downstream'];
const COMMON = ['type', 'name', 'stream', 'toxicity', 'toxicityPer'];
const FIELDS: Record<ToxicType, readonly string[]> = {
  latency: ['latency', 'jitter'],
  bandwidth: ['bytesPerSecond'],
  slicer: ['averageSize', 'sizeVariation', 'delay'],
  slowClose: ['delay'],
  limitData: ['bytes', 'then'],
  timeout: ['timeout'],
  resetPeer: ['timeout'],
  packetLoss: ['probability'],
};
/** Types whose toxicity may count chunks. */
const PER_CHUNK = new Set<ToxicType>(['latency', 'bandwidth', 'slicer']);
/** Types that act on the bytes themselves (the shaper's). */
export const DATA_TOXICS = new Set<ToxicType>(['latency', 'bandwidth', 'slicer', 'limitData']);
/** Types that need CAP_NET_ADMIN (a socket filter). */
export const FILTER_TOXICS = new Set<ToxicType>(['timeout', 'packetLoss']);

/** Which streams each type applies to on a fixture (faultServer is an end, not a relay). */
export type ToxicScope = Record<ToxicType, readonly ToxicStream[]>;
export const PROXY_SCOPE: ToxicScope = Object.fromEntries(TYPES.map((t) => [t, STREAMS])) as unknown as ToxicScope;
export const SERVER_SCOPE: ToxicScope = {
  latency: STREAMS,
  bandwidth: STREAMS,
  slicer: ['downstream'],
  slowClose: ['downstream'],
  limitData: STREAMS,
  timeout: ['upstream'],
  resetPeer: STREAMS,
  packetLoss: ['upstream'],
};

function fields(toxic: Record<string, unknown>, type: ToxicType, name: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ms = (key: string, fallback?: number) => {
    const value = orDefault(toxic[key], fallback);
    if (value === undefined) throw invalidArgType(`${name}.${key}`, 'of type number', value);
    out[key] = validateInteger(value, `${name}.${key}`, 0, MAX_MS);
  };
  switch (type) {
    case 'latency':
      ms('latency');
      ms('jitter', 0);
      break;
    case 'bandwidth':
      out.bytesPerSecond = validateInteger(toxic.bytesPerSecond, `${name}.bytesPerSecond`, 1, Number.MAX_SAFE_INTEGER);
      break;
    case 'slicer': {
      const average = validateInteger(toxic.averageSize, `${name}.averageSize`, 1, 1 << 30);
      out.averageSize = average;
      out.sizeVariation = validateInteger(orDefault(toxic.sizeVariation, 0), `${name}.sizeVariation`, 0, average - 1);
      ms('delay', 0);
      break;
    }
    case 'slowClose':
      ms('delay');
      break;
    case 'limitData':
      out.bytes = validateInteger(toxic.bytes, `${name}.bytes`, 0, Number.MAX_SAFE_INTEGER);
      out.then = validateOneOf(orDefault(toxic.then, 'fin'), `${name}.then`, ['fin', 'reset']);
      break;
    case 'timeout':
    case 'resetPeer':
      ms('timeout', 0);
      break;
    case 'packetLoss':
      out.probability = validateNumber(toxic.probability, `${name}.probability`, 0, 1);
      break;
  }
  return out;
}

/**
 * Checks a toxic for a fixture (`scope` says which streams each type acts on there) and returns
 * it with every default filled in. Unknown keys, bad values and a stream the fixture cannot act
 * on are coded TypeErrors/RangeErrors.
 */
export function normalizeToxic(value: unknown, name: string, scope: ToxicScope): ActiveToxic {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgType(name, 'of type object', value);
  const toxic = value as Record<string, unknown>;
  const type = validateOneOf(toxic.type, `${name}.type`, TYPES);
  validateKeys(toxic, name, [...COMMON, ...FIELDS[type]]);
  const streams = scope[type];
  const stream =
    toxic.stream === undefined
      ? streams.length === 1
        ? streams[0]
        : 'downstream'
      : validateOneOf(toxic.stream, `${name}.stream`, STREAMS);
  if (!streams.includes(stream)) {
    throw invalidArgValue(`${name}.stream`, `'${streams.join("' or '")}' (where this fixture can apply ${type})`, stream);
  }
  const toxicityPer = validateOneOf(orDefault(toxic.toxicityPer, 'connection'), `${name}.toxicityPer`, ['connection', 'chunk']);
  if (toxicityPer === 'chunk' && !PER_CHUNK.has(type)) {
    throw invalidArgValue(`${name}.toxicityPer`, `'connection' (${type} acts on a whole connection)`, toxicityPer);
  }
  const toxicName = orDefault(toxic.name, `${type}_${stream}`);
  if (typeof toxicName !== 'string') throw invalidArgType(`${name}.name`, 'of type string', toxicName);
  if (!/^[\w.:-]{1,64}$/.test(toxicName)) throw invalidArgValue(`${name}.name`, '1 to 64 letters, digits, _ . : or -', toxicName);
  return {
    type,
    name: toxicName,
    stream,
    toxicity: validateNumber(orDefault(toxic.toxicity, 1), `${name}.toxicity`, 0, 1),
    toxicityPer,
    ...fields(toxic, type, name),
  } as ActiveToxic;
}

/** Checks a list of toxics: names unique, at most {@link MAX_TOXICS}. */
export function normalizeToxics(value: unknown, name: string, scope: ToxicScope): ActiveToxic[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  if (value.length > MAX_TOXICS) throw invalidArgValue(`${name}.length`, `at most ${MAX_TOXICS} toxics`, value.length);
  const toxics = value.map((t, i) => normalizeToxic(t, `${name}[${i}]`, scope));
  const names = new Set<string>();
  toxics.forEach((t, i) => {
    if (names.has(t.name)) throw invalidArgValue(`${name}[${i}].name`, 'a name no other toxic has', t.name);
    names.add(t.name);
  });
  return toxics;
}

/** A seed: an integer 0 to 2³²−1; a random one when undefined. */
export function validateSeed(value: unknown, name: string): number {
  if (value === undefined) return Math.floor(Math.random() * 2 ** 32);
  return validateInteger(value, name, 0, 2 ** 32 - 1);
}

// FNV-1a over the parts, then a murmur3 finalizer: a number in [0, 1) that depends only on
// (seed, connection, toxic, chunk…), never on timing, so a seed replays every decision.
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) drawn from `seed` and `parts` alone. */
export function unitRandom(seed: number, ...parts: Array<number | string>): number {
  let h = mix(seed ^ 0x9e3779b9);
  for (const part of parts) {
    const text = typeof part === 'number' ? `#${part}` : part;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    h = mix(h);
  }
  return h / 2 ** 32;
}

/** The toxics of one fixture, in the order added (the order they act in, as in Toxiproxy). */
export class ToxicSet {
  readonly #toxics = new Map<string, ActiveToxic>();
  readonly #scope: ToxicScope;
  /** Bumped on every change, so a pump can tell that what it planned is stale. */
  generation = 0;

  constructor(scope: ToxicScope, initial: ActiveToxic[]) {
    this.#scope = scope;
    for (const toxic of initial) this.#toxics.set(toxic.name, toxic);
  }

  list(): ActiveToxic[] {
    return [...this.#toxics.values()];
  }

  get(name: string): ActiveToxic | undefined {
    return this.#toxics.get(name);
  }

  /** Checks and adds; the name must be new. */
  add(value: unknown): ActiveToxic {
    const toxic = normalizeToxic(value, 'toxic', this.#scope);
    if (this.#toxics.has(toxic.name)) throw invalidArgValue('toxic.name', 'a name no other toxic has', toxic.name);
    if (this.#toxics.size >= MAX_TOXICS) throw invalidArgValue('toxic', `at most ${MAX_TOXICS} toxics`, this.#toxics.size);
    this.#toxics.set(toxic.name, toxic);
    this.generation++;
    return toxic;
  }

  /** Merges `changes` into the named toxic, checked as a whole. */
  update(name: unknown, changes: unknown): { before: ActiveToxic; after: ActiveToxic } {
    const before = this.#named(name);
    const patch = validateObject(changes as object, 'changes') as Record<string, unknown>;
    for (const key of ['type', 'name']) {
      if (key in patch && patch[key] !== before[key as keyof ActiveToxic])
        throw invalidArgValue(`changes.${key}`, 'unchanged', patch[key]);
    }
    const after = normalizeToxic({ ...before, ...patch }, 'changes', this.#scope);
    this.#toxics.set(before.name, after);
    this.generation++;
    return { before, after };
  }

  remove(name: unknown): ActiveToxic {
    const toxic = this.#named(name);
    this.#toxics.delete(toxic.name);
    this.generation++;
    return toxic;
  }

  #named(name: unknown): ActiveToxic {
    if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
    const toxic = this.#toxics.get(name);
    if (toxic === undefined)
      throw invalidArgValue('name', `the name of a toxic (${[...this.#toxics.keys()].join(', ') || 'none'})`, name);
    return toxic;
  }
}

/** One timed piece of a chunk: its bytes go out at `at` (performance.now() time). */
export interface Piece {
  data: Buffer;
  at: number;
}

/** How a chunk is to be delivered. */
export interface Plan {
  pieces: Piece[];
  /** A limitData toxic closes the connection once the pieces are delivered. */
  cut?: { toxic: ActiveToxic };
  /** Events to complete (at, delayMs) when the last piece is delivered. */
  events: ToxicEvent[];
  arrival: number;
}

interface ToxicState {
  next: number;
  passed: number;
}

/**
 * The data toxics of one stream of one connection: turns each chunk into timed pieces, in the
 * order the toxics were added. Decisions come from the fixture's seed, the connection's number,
 * the toxic's name and the chunk's index, so a seed replays them.
 */
export class StreamShaper {
  readonly #set: ToxicSet;
  readonly #stream: ToxicStream;
  readonly #applies: (toxic: ActiveToxic) => boolean;
  readonly #seed: number;
  readonly #connection: number;
  readonly #state = new Map<string, ToxicState>();
  #chunk = 0;
  #offset = 0;

  constructor(set: ToxicSet, stream: ToxicStream, seed: number, connection: number, applies: (toxic: ActiveToxic) => boolean) {
    this.#set = set;
    this.#stream = stream;
    this.#seed = seed;
    this.#connection = connection;
    this.#applies = applies;
  }

  /** Whether any data toxic acts on this stream now (if not, bytes go straight through). */
  active(): boolean {
    for (const toxic of this.#set.list()) {
      if (toxic.stream === this.#stream && DATA_TOXICS.has(toxic.type) && this.#applies(toxic)) return true;
    }
    return false;
  }

  /** The largest read that keeps the pacing smooth: a tenth of a second at the slowest rate. */
  readSize(max: number): number {
    let size = max;
    for (const toxic of this.#set.list()) {
      if (toxic.stream !== this.#stream || !this.#applies(toxic)) continue;
      if (toxic.type === 'bandwidth') size = Math.min(size, Math.max(1, Math.floor(toxic.bytesPerSecond / 10)));
      if (toxic.type === 'limitData') size = Math.min(size, Math.max(1, toxic.bytes - this.#stateOf(toxic).passed));
    }
    return size;
  }

  #stateOf(toxic: ActiveToxic): ToxicState {
    let state = this.#state.get(toxic.name);
    if (state === undefined) {
      state = { next: 0, passed: 0 };
      this.#state.set(toxic.name, state);
    }
    return state;
  }

  plan(data: Buffer, arrival = performance.now()): Plan {
    const chunk = this.#chunk++;
    const offset = this.#offset;
    this.#offset += data.byteLength;
    let pieces: Piece[] = [{ data, at: arrival }];
    const events: ToxicEvent[] = [];
    let cut: Plan['cut'];
    for (const toxic of this.#set.list()) {
      if (toxic.stream !== this.#stream || !DATA_TOXICS.has(toxic.type) || !this.#applies(toxic)) continue;
      if (toxic.toxicityPer === 'chunk' && unitRandom(this.#seed, this.#connection, toxic.name, chunk) >= toxic.toxicity)
        continue;
      const state = this.#stateOf(toxic);
      const before = pieces[pieces.length - 1]?.at ?? arrival;
      const event: ToxicEvent = {
        toxic: toxic.name,
        type: toxic.type,
        stream: this.#stream,
        action: 'delay',
        at: 0,
        offset,
        bytes: data.byteLength,
      };
      switch (toxic.type) {
        case 'latency': {
          const jitter =
            toxic.jitter === 0
              ? 0
              : (2 * unitRandom(this.#seed, this.#connection, toxic.name, 'jitter', chunk) - 1) * (toxic.jitter ?? 0);
          const delay = Math.max(0, toxic.latency + jitter);
          // Relative to arrival, so a stream keeps its throughput; never ahead of the last piece.
          pieces = pieces.map((p) => ({ data: p.data, at: (state.next = Math.max(p.at + delay, state.next)) }));
          event.plannedMs = round(delay);
          break;
        }
        case 'slicer':
          pieces = pieces.flatMap((p) => this.#slices(p, toxic, state, chunk));
          event.pieces = pieces.length;
          break;
        case 'bandwidth': {
          const slice = Math.max(1, Math.floor(toxic.bytesPerSecond / 10));
          const out: Piece[] = [];
          for (const p of pieces) {
            for (let at = 0; at < p.data.byteLength; at += slice) {
              // Each slice waits for its own time on the wire, as Toxiproxy's does: N bytes
              // take N / rate.
              const bytes = p.data.subarray(at, at + slice);
              state.next = Math.max(p.at, state.next) + (bytes.byteLength * 1000) / toxic.bytesPerSecond;
              out.push({ data: bytes, at: state.next });
            }
          }
          pieces = out;
          event.pieces = pieces.length;
          break;
        }
        case 'limitData': {
          const room = toxic.bytes - state.passed;
          const kept: Piece[] = [];
          let left = Math.max(0, room);
          for (const p of pieces) {
            if (left <= 0) break;
            const piece = p.data.byteLength <= left ? p : { data: p.data.subarray(0, left), at: p.at };
            kept.push(piece);
            left -= piece.data.byteLength;
          }
          const passed = kept.reduce((n, p) => n + p.data.byteLength, 0);
          state.passed += passed;
          pieces = kept;
          if (state.passed >= toxic.bytes) {
            cut = { toxic };
            event.action = 'cut';
            event.bytes = passed;
          } else continue;
          break;
        }
        default:
          continue;
      }
      if (event.action === 'delay') event.plannedMs ??= round((pieces[pieces.length - 1]?.at ?? before) - before);
      events.push(event);
      if (cut) break;
    }
    return cut ? { pieces, cut, events, arrival } : { pieces, events, arrival };
  }

  #slices(piece: Piece, toxic: Extract<ActiveToxic, { type: 'slicer' }>, state: ToxicState, chunk: number): Piece[] {
    const out: Piece[] = [];
    const variation = toxic.sizeVariation ?? 0;
    const delay = toxic.delay ?? 0;
    for (let at = 0, i = 0; at < piece.data.byteLength; i++) {
      const jitter =
        variation === 0 ? 0 : Math.round((2 * unitRandom(this.#seed, this.#connection, toxic.name, chunk, i) - 1) * variation);
      const size = Math.max(1, toxic.averageSize + jitter);
      const when = Math.max(piece.at, state.next);
      state.next = when + delay;
      out.push({ data: piece.data.subarray(at, at + size), at: when });
      at += size;
    }
    return out;
  }
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/**
 * Whether `toxic` acts on connection `connection` (toxicity per connection): a draw from the
 * seed, the same for every run with that seed.
 */
export function actsOnConnection(seed: number, connection: number, toxic: ActiveToxic): boolean {
  if (toxic.toxicityPer === 'chunk') return true;
  return toxic.toxicity >= 1 || unitRandom(seed, connection, toxic.name) < toxic.toxicity;
}

/** Appends an event, keeping at most {@link MAX_TOXIC_EVENTS}. */
export function pushEvent(events: ToxicEvent[], event: ToxicEvent): void {
  if (events.length < MAX_TOXIC_EVENTS) events.push(event);
}
