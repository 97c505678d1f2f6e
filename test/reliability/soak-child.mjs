// The fault fixtures' soak, run by test/soak.test.ts in a --expose-gc child: rounds of churn,
// each a faultServer playing every step kind and a faultProxy with every toxic (silence and
// loss too when the kernel allows the filters), met by clients that connect, send, read, wait
// and reset at random. After each round the fixtures are closed and a full GC runs; the round's
// point says fds, heap and RSS, and how many connections each fixture recorded against how
// many completed a handshake with it.
//   node --expose-gc soak-child.mjs <rounds> <connections per round> <seed>
// Prints one `P {json}` line per round and a final `S {json}`.
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { canBlackhole, faultProxy, faultServer } = require(path.join(root, 'dist/index.js'));

const [rounds, perRound, seed] = process.argv.slice(2).map(Number);
const DEADLINE = Date.now() + 120_000;
const privileged = canBlackhole().ok;

// A small seeded generator (mulberry32), so a failing soak can be replayed.
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
}
const pick = (list) => list[Math.floor(random() * list.length)];

const REQUEST = 'GET / HTTP/1.1\r\nhost: soak\r\n\r\n';
const SCRIPTS = [
  ['reset'],
  ['close'],
  ['read:1', 'close'],
  ['close-unread'],
  ['fin'],
  ['half-close', 'read:5'],
  ['read:10', 'reset'],
  [{ do: 'send', data: 'hello' }, 'wait:5', 'reset'],
  ['wait:20', 'close'],
  ['read-request', 'reset'],
  ['respond:200', 'reset-when-idle'],
  [{ do: 'respond', body: 'x'.repeat(3_000), cutAfter: 100 }, 'reset'],
  [{ do: 'reset-when-idle', after: 30 }],
  ['respond:503', 'respond:200'],
  ['connection-reset-by-peer'],
  ['empty-response'],
  ['malformed-response-chunk'],
  ['random-data-then-close'],
  ...(privileged ? [['silent'], ['read:1', 'silent']] : []),
];
const SERVER_TOXICS = [
  { type: 'latency', latency: 10, jitter: 5, toxicity: 0.3 },
  { type: 'bandwidth', bytesPerSecond: 200_000, toxicity: 0.3 },
  { type: 'slicer', averageSize: 500, sizeVariation: 100, delay: 1, toxicity: 0.3 },
  { type: 'slowClose', delay: 20, toxicity: 0.3 },
  { type: 'limitData', stream: 'upstream', bytes: 20, then: 'reset', toxicity: 0.2 },
  { type: 'resetPeer', timeout: 60, toxicity: 0.2 },
  ...(privileged
    ? [
        { type: 'timeout', timeout: 80, toxicity: 0.1 },
        { type: 'packetLoss', probability: 0.05, toxicity: 0.3 },
      ]
    : []),
];
const PROXY_TOXICS = [
  ...SERVER_TOXICS.filter((t) => t.type !== 'limitData' && t.type !== 'timeout' && t.type !== 'packetLoss'),
  { type: 'latency', name: 'up', stream: 'upstream', latency: 5, toxicity: 0.3, toxicityPer: 'chunk' },
  { type: 'limitData', bytes: 1_000, toxicity: 0.2 },
  ...(privileged
    ? [
        { type: 'timeout', stream: 'upstream', timeout: 80, toxicity: 0.1 },
        { type: 'packetLoss', stream: 'downstream', probability: 0.05, toxicity: 0.3 },
      ]
    : []),
];

// One client: connects, sends a request (or garbage, or nothing), then reads to the end, resets
// after a while, or closes; every path bounded. Resolves whether its handshake completed.
function client(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let connected = false;
    const done = () => {
      clearTimeout(guard);
      resolve(connected);
    };
    // resetAndDestroy() on a socket still connecting waits for the connect: a SYN left
    // unanswered would hold the round for the kernel's SYN retries. Counted, then destroyed.
    const guard = setTimeout(() => {
      if (socket.connecting) {
        stalledConnects++;
        socket.destroy();
      } else socket.resetAndDestroy();
    }, 300);
    socket.on('error', () => {});
    socket.on('close', done);
    socket.on('data', () => {});
    socket.on('connect', () => {
      connected = true;
      const what = random();
      if (what < 0.6) socket.write(REQUEST);
      else if (what < 0.7) socket.write(Buffer.alloc(2_000, 'g'));
      const then = random();
      if (then < 0.3) setTimeout(() => socket.resetAndDestroy(), Math.floor(random() * 60));
      else if (then < 0.45) setTimeout(() => socket.end(), Math.floor(random() * 60));
    });
  });
}

let stalledConnects = 0;

function fds() {
  return readdirSync('/proc/self/fd').length;
}

const upstream = http.createServer((req, res) => {
  req.resume();
  res.end('y'.repeat(2_000));
});
upstream.on('connection', (s) => s.on('error', () => {}));
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));

// A round that does not finish within 30 s says where it stands and ends the run, so a hang
// shows up as a diagnosis rather than as the runner's timeout.
let phase = 'start';
let roundStart = performance.now();
const watchdog = setInterval(() => {
  if (performance.now() - roundStart < 30_000) return;
  process.stderr.write(`soak: round stuck in phase '${phase}' for ${Math.round(performance.now() - roundStart)} ms\n`);
  process.exit(3);
}, 1_000);
watchdog.unref();

const points = [];
for (let round = 0; round < rounds; round++) {
  roundStart = performance.now();
  phase = `round ${round}: starting fixtures`;
  if (Date.now() > DEADLINE) throw new Error('soak: over its time budget');
  const server = await faultServer({
    connections: Array.from({ length: perRound }, () => pick(SCRIPTS)),
    onConnection: ['reset'],
    toxics: SERVER_TOXICS,
    seed: seed + round,
    stepTimeout: 150,
    holdTimeout: 250,
  });
  const proxy = await faultProxy(upstream, { toxics: PROXY_TOXICS, seed: seed + round, idleReset: 300 });
  let toServer = 0;
  let toProxy = 0;
  const started = performance.now();
  // At most 50 clients at once; every connection is one of the two fixtures at random.
  for (let i = 0; i < perRound; i += 50) {
    phase = `round ${round}: clients ${i}-${i + 49}`;
    const batch = [];
    for (let j = i; j < Math.min(perRound, i + 50); j++) {
      const viaProxy = random() < 0.5;
      batch.push(client(viaProxy ? proxy.port : server.port).then((ok) => (ok ? (viaProxy ? toProxy++ : toServer++) : 0)));
    }
    await Promise.all(batch);
  }
  phase = `round ${round}: waiting for records`;
  // Every completed handshake must show up as a record (accept may trail the clients a little).
  for (let i = 0; i < 200 && (server.connections.length < toServer || proxy.connections.length < toProxy); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const recorded = { server: server.connections.length, proxy: proxy.connections.length };
  const ends = {};
  for (const r of server.connections) ends[r.end ?? 'open'] = (ends[r.end ?? 'open'] ?? 0) + 1;
  const toxicEvents =
    server.connections.reduce((n, r) => n + r.toxics.length, 0) + proxy.connections.reduce((n, r) => n + r.toxics.length, 0);
  phase = `round ${round}: proxy.close() with ${proxy.connections.filter((r) => r.closedAt === undefined).length} open`;
  await proxy.close();
  phase = `round ${round}: server.close() with ${server.connections.filter((r) => r.end === undefined).length} open`;
  await server.close();
  phase = `round ${round}: gc`;
  await new Promise((resolve) => setTimeout(resolve, 50));
  globalThis.gc();
  globalThis.gc();
  const memory = process.memoryUsage();
  const point = {
    round,
    ms: Math.round(performance.now() - started),
    connected: { server: toServer, proxy: toProxy },
    recorded,
    toxicEvents,
    stalledConnects,
    ends,
    fds: fds(),
    heapUsedMB: Math.round((memory.heapUsed / 1e6) * 100) / 100,
    rssMB: Math.round((memory.rss / 1e6) * 10) / 10,
  };
  points.push(point);
  process.stdout.write(`P ${JSON.stringify(point)}\n`);
}
upstream.close();
process.stdout.write(`S ${JSON.stringify({ privileged, seed, points })}\n`);
process.exit(0);
