// Hostile-input harness, run in a child process by test/hostile.test.ts (a crash here must not
// take the test runner down). Walks the exports of the package (dist/index.js) and of the native
// binding (dist/controls/native.js) recursively, so functions added later are fuzzed without listing
// them, and calls each with garbage. One line per call on stdout, written synchronously:
//   B <index> <label>             before the call (the last one without E is the crasher)
//   E <index> <outcome> <code>    outcome: returned | coded | own | uncoded
// and a final `S {json}` summary. `--start N` resumes after a crash at call N-1; `--stop-at N`
// ends before call N.
//
// Ownership: integer fds of sockets libuv owns are only passed to functions that read or set
// options (name pattern below), never to anything that could close, read or write them.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tcpPair } from './loopback.mjs';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const api = require(path.join(root, 'dist/index.js'));
const { native } = require(path.join(root, 'dist/controls/native.js'));

const start = Number(process.argv[process.argv.indexOf('--start') + 1] || 0);
// For the parent's own check that it sees crashes: die by SIGSEGV at this call index, and stop
// (with the summary) before this one, so that check does not walk the whole API again.
const crashAt = process.argv.includes('--crash-at') ? Number(process.argv[process.argv.indexOf('--crash-at') + 1]) : -1;
const stopAt = process.argv.includes('--stop-at') ? Number(process.argv[process.argv.indexOf('--stop-at') + 1]) : Infinity;
const OPTION_ONLY = /^(get|set|take)|^tcpInfo$|^queues$/;
const DEADLINE = Date.now() + 60_000;

// The errors our own hostile objects throw: seeing one come back out is correct behaviour
// (the library let the caller's exception propagate), not a library error.
class Hostile extends Error {
  hostile = true;
}
const boom = () => {
  throw new Hostile('hostile trap');
};
const line = (text) => writeSync(1, text + '\n');

// ---------- targets: every function reachable from the exports ----------
function walk(value, label, out, seen) {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
  seen.add(value);
  if (typeof value === 'function') {
    out.push({ label, fn: value, isClass: /^class[\s{]/.test(Function.prototype.toString.call(value)) });
    // Static methods (RawSocket.listen, RawSocket.connect) are not enumerable.
    for (const key of Object.getOwnPropertyNames(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (!['length', 'name', 'prototype'].includes(key) && typeof d?.value === 'function') {
        out.push({ label: `${label}.${key}`, fn: d.value });
      }
    }
    const proto = value.prototype;
    if (proto && typeof proto === 'object') {
      for (const key of Object.getOwnPropertyNames(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, key);
        if (key !== 'constructor' && typeof d?.value === 'function') {
          out.push({ label: `${label}.prototype.${key}`, fn: d.value, method: true });
        }
      }
    }
  }
  for (const key of Object.keys(value)) walk(value[key], `${label}.${key}`, out, seen);
}
const targets = [];
const seen = new Set();
walk(api, 'sockctl', targets, seen);
walk(native, 'native', targets, seen);
// These run real catalog cases (seconds of kernel timers each) when their argument is
// acceptable; their argument checks are covered in test/catalog.test.ts.
const RUNS_CASES = /^sockctl\.(runCatalog|catalog\.\d+\.(run|node))$/;
targets.splice(0, targets.length, ...targets.filter((t) => !RUNS_CASES.test(t.label)));

// ---------- garbage ----------
const pairs = [];
async function live() {
  const pair = await tcpPair(pairs.length % 2 ? '::1' : '127.0.0.1');
  pairs.push(pair);
  return pair;
}

const throwingGetters = (names) => {
  const o = {};
  for (const n of names) Object.defineProperty(o, n, { get: boom, enumerable: true });
  return o;
};
const proxyAllTrapsThrow = new Proxy(
  {},
  Object.fromEntries(
    [
      'get',
      'set',
      'has',
      'ownKeys',
      'getPrototypeOf',
      'getOwnPropertyDescriptor',
      'defineProperty',
      'deleteProperty',
      'apply',
      'construct',
    ].map((t) => [t, boom]),
  ),
);
const proxyFunction = new Proxy(() => {}, { apply: boom, construct: boom, get: boom, getPrototypeOf: boom });

const detached = (() => {
  const u = new Uint8Array(280);
  structuredClone(u.buffer, { transfer: [u.buffer] });
  return u;
})();
class EvilBytes extends Uint8Array {
  get buffer() {
    return boom();
  }
  get byteLength() {
    return boom();
  }
}

async function buildValues() {
  const destroyed = (await live()).client;
  destroyed.destroy();
  const unconnected = new net.Socket();
  const fakeHandle = new net.Socket();
  Object.defineProperty(fakeHandle, '_handle', { value: { fd: 'seven' }, writable: true });
  const hostileHandle = new net.Socket();
  Object.defineProperty(hostileHandle, '_handle', { get: boom });
  const stoppedServer = net.createServer();
  const udp = dgram.createSocket('udp4');
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  const liveProxy = new Proxy((await live()).client, { get: boom, has: boom, getPrototypeOf: boom });
  const devNull = openSync('/dev/null', 'r');

  const values = {
    undefined: undefined,
    null: null,
    true: true,
    zero: 0,
    minusOne: -1,
    half: 1.5,
    NaN: NaN,
    Infinity: Infinity,
    minusInfinity: -Infinity,
    minusZero: -0,
    int32Overflow: 2 ** 31,
    int32Underflow: -(2 ** 31) - 1,
    safeMax: Number.MAX_SAFE_INTEGER,
    huge: 1e300,
    maxValue: Number.MAX_VALUE,
    string: '3',
    empty: '',
    symbol: Symbol('s'),
    bigint: 10n,
    object: {},
    array: [],
    array2: [1, 2],
    fn: () => {},
    date: new Date(0),
    regexp: /x/,
    nullProto: Object.create(null),
    numberLike: { valueOf: boom, toString: boom, [Symbol.toPrimitive]: boom },
    throwingGetters: throwingGetters([
      'fd',
      '_handle',
      'destroyed',
      'enable',
      'idle',
      'interval',
      'count',
      'buffer',
      'byteLength',
      'length',
    ]),
    proxy: proxyAllTrapsThrow,
    proxyFunction,
    destroyedSocket: destroyed,
    unconnectedSocket: unconnected,
    fakeHandleSocket: fakeHandle,
    hostileHandleSocket: hostileHandle,
    liveSocketProxy: liveProxy,
    stoppedServer,
    udpSocket: udp,
    emptyBytes: new Uint8Array(0),
    detachedBytes: detached,
    evilBytes: new EvilBytes(8),
    bigBytes: new Uint8Array(1 << 16),
    float64: new Float64Array(3),
    dataView: new DataView(new ArrayBuffer(300), 7, 13),
    sharedBytes: new Uint8Array(new SharedArrayBuffer(280)),
    buffer: Buffer.alloc(4),
    arrayBuffer: new ArrayBuffer(280),
  };
  // fd numbers: none of these is a live socket libuv owns.
  const fds = {
    fdMinusOne: -1,
    fdMax: 2 ** 31 - 1,
    fdNonSocket: devNull,
    // Opened and closed just now; used only synchronously, before anything can reuse the number.
    get fdJustClosed() {
      const fd = openSync('/dev/null', 'r');
      closeSync(fd);
      return fd;
    },
  };
  // Node keeps dgram's libuv handle in the socket's internal state (`_handle` is gone in 26).
  const state = Object.getOwnPropertySymbols(udp).find((s) => s.description === 'state symbol');
  return {
    values,
    fds,
    udpFd: udp[state].handle.fd,
    cleanup: () => {
      udp.close();
      closeSync(devNull);
    },
  };
}

// ---------- calls ----------
// Placeholders for the current live connection, filled in at call time: an earlier call
// (abort) may have closed the one that was live when the vectors were built.
const LIVE_SOCKET = Symbol('live socket');
const LIVE_FD = Symbol('live fd');

function argVectors(target, g, liveSocket, liveFd, udpFd) {
  const v = [];
  const garbage = Object.entries(g.values);
  v.push(['()', []]);
  for (const [name, value] of garbage) v.push([`(${name})`, [value]]);
  for (const [name, value] of Object.entries(g.fds)) v.push([`(${name})`, [value], true]);
  // A valid first argument followed by garbage, one position at a time.
  const firsts = target.label.startsWith('native.')
    ? OPTION_ONLY.test(target.label.split('.').pop())
      ? [
          ['liveFd', liveFd],
          ['udpFd', udpFd],
          ['devNull', g.fds.fdNonSocket],
        ]
      : [['devNull', g.fds.fdNonSocket]]
    : [
        ['liveSocket', liveSocket],
        ['udpSocket', g.values.udpSocket],
      ];
  for (const [fname, first] of firsts) {
    for (const [name, value] of garbage) {
      v.push([`(${fname}, ${name})`, [first, value]]);
      v.push([`(${fname}, 6, ${name})`, [first, 6, value]]);
      v.push([`(${fname}, 6, 9, ${name})`, [first, 6, 9, value]]);
    }
  }
  return v;
}

function classify(error) {
  if (error instanceof Hostile) return ['own', 'hostile'];
  if (error instanceof Error && typeof error.code === 'string') return ['coded', error.code];
  let text;
  try {
    text = String(error?.stack ?? error)
      .split('\n')
      .slice(0, 2)
      .join(' | ');
  } catch {
    text = '<unprintable>';
  }
  return ['uncoded', JSON.stringify(text)];
}

const g = await buildValues();
const summary = { targets: targets.map((t) => t.label), calls: 0, returned: 0, coded: 0, own: 0, uncoded: [] };
let index = 0;
const settling = [];
let socketPair = await live();
for (const target of targets) {
  const thisValues = target.method
    ? [
        ['{}', {}],
        ['proxy', proxyAllTrapsThrow],
        ['undefined', undefined],
      ]
    : [
        ['undefined', undefined],
        ['{}', {}],
        ['proxy', proxyAllTrapsThrow],
      ];
  for (const [thisName, thisValue] of thisValues) {
    // Foreign `this` once with a few arguments; the full garbage table with the natural `this`.
    const vectors = thisName === thisValues[0][0] ? argVectors(target, g, LIVE_SOCKET, LIVE_FD, g.udpFd) : [['(1, 2)', [1, 2]]];
    for (const [argsLabel, args] of vectors) {
      if (Date.now() > DEADLINE) throw new Error('hostile harness: over its time budget');
      if (index >= stopAt) break;
      if (socketPair.client.destroyed || socketPair.peer.destroyed) socketPair = await live();
      const i = index++;
      if (i < start) continue;
      const fresh = args.map((a) => (a === LIVE_SOCKET ? socketPair.client : a === LIVE_FD ? socketPair.client._handle.fd : a));
      line(`B ${i} ${target.label}${argsLabel} this=${thisName}`);
      let outcome = ['returned', '-'];
      if (i === crashAt) process.kill(process.pid, 'SIGSEGV');
      try {
        const result = target.isClass ? Reflect.construct(target.fn, fresh) : Reflect.apply(target.fn, thisValue, fresh);
        // An async function reports bad input by rejecting: that rejection must be coded too.
        if (result instanceof Promise) {
          const label = `${target.label}${argsLabel} this=${thisName}`;
          settling.push(
            result
              .then(
                () => ['returned', '-'],
                (error) => classify(error),
              )
              .then((late) => ({ label, late })),
          );
        }
      } catch (error) {
        outcome = classify(error);
      }
      summary.calls++;
      if (outcome[0] === 'uncoded') summary.uncoded.push(`${target.label}${argsLabel} this=${thisName}: ${outcome[1]}`);
      else summary[outcome[0]]++;
      line(`E ${i} ${outcome[0]} ${outcome[1]}`);
    }
  }
}
// Promises settle within their own bounds (waits default to 5 s); give them 15 s at most.
const settled = await Promise.race([
  Promise.all(settling),
  new Promise((resolve) => setTimeout(() => resolve(null), 15_000).unref()),
]);
if (settled === null) throw new Error('hostile harness: promises did not settle within 15 s');
for (const { label, late } of settled) {
  if (late[0] === 'uncoded') summary.uncoded.push(`${label} (rejected): ${late[1]}`);
  else if (late[0] !== 'returned') summary[late[0]]++;
}
summary.promises = settled.length;
summary.total = index;
g.cleanup();
for (const p of pairs) {
  p.client.destroy();
  p.peer.destroy();
  p.server.close();
}
line(`S ${JSON.stringify(summary)}`);
