// `npm run bench` (second part): faultProxy with no toxic against a plain node:net pipe()
// proxy, measured in the same run, alternating round by round (ABAB) on this shared machine:
// - throughput: 64 MiB from the upstream to the client through each proxy (goal ≥ 0.8×);
// - round trip: 64-byte ping-pongs on one connection, the time each proxy adds over a direct
//   connection (goal ≤ 1.2× the pipe proxy's);
// - 100 concurrent connections, each echoing 1 MiB of random bytes: all byte-exact (sha256).
//
//   node bench/proxy.mjs [--rounds N] [--json] [--quick]
//
// Writes bench/proxy-results.json; --json prints it instead of the table.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { faultProxy } = require(path.join(root, 'dist/index.js'));

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const ROUNDS = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : quick ? 3 : 7;
const BYTES = (quick ? 16 : 64) * 2 ** 20;
const PINGS = quick ? 500 : 2_000;
const CONCURRENT = 100;
const ECHO_BYTES = 2 ** 20;
const DEADLINE = Date.now() + 5 * 60_000; // every loop below is bounded in count and in time

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}
function assertTime() {
  if (Date.now() > DEADLINE) throw new Error('bench: over its time budget');
}

// Upstreams: one sends BYTES on connect; one echoes.
const payload = Buffer.alloc(BYTES, 'p');
const sourcePort = await listen(net.createServer((s) => s.on('error', () => {}).end(payload)));
const echoPort = await listen(net.createServer((s) => s.on('error', () => {}).pipe(s)));

// The baseline: what a Node user writes by hand.
function pipeProxy(port) {
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return listen(server).then((p) => ({ port: p, close: () => new Promise((r) => server.close(r)) }));
}
async function fault(port) {
  const proxy = await faultProxy({ host: '127.0.0.1', port });
  return { port: proxy.port, close: () => proxy.close() };
}

async function download(port) {
  const start = process.hrtime.bigint();
  const received = await new Promise((resolve, reject) => {
    let n = 0;
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('data', (chunk) => (n += chunk.byteLength));
    socket.on('end', () => resolve(n));
    socket.on('error', reject);
  });
  if (received !== BYTES) throw new Error(`bench: received ${received} of ${BYTES}`);
  return BYTES / 2 ** 20 / (Number(process.hrtime.bigint() - start) / 1e9);
}

// Median round trip of PINGS ping-pongs on one connection, µs.
async function roundTrip(port) {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  const ping = Buffer.alloc(64, 'q');
  const times = [];
  for (let i = 0; i < PINGS; i++) {
    const start = process.hrtime.bigint();
    await new Promise((resolve) => {
      let got = 0;
      const onData = (chunk) => {
        got += chunk.byteLength;
        if (got >= ping.byteLength) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write(ping);
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  socket.destroy();
  return median(times);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// CONCURRENT connections at once through `port`, each echoing ECHO_BYTES random bytes: how many came back exact.
async function concurrentEcho(port) {
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  const results = await Promise.all(
    Array.from({ length: CONCURRENT }, () => {
      const data = randomBytes(ECHO_BYTES);
      return new Promise((resolve) => {
        const chunks = [];
        let n = 0;
        const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(data));
        socket.on('data', (chunk) => {
          chunks.push(chunk);
          n += chunk.byteLength;
          if (n >= ECHO_BYTES) socket.end();
        });
        socket.on('close', () => resolve(sha(Buffer.concat(chunks)) === sha(data)));
        socket.on('error', () => resolve(false));
      });
    }),
  );
  return results.filter(Boolean).length;
}

const rounds = [];
const direct = await roundTrip(echoPort);
for (let round = 0; round < ROUNDS; round++) {
  assertTime();
  const order = round % 2 === 0 ? ['pipe', 'fault'] : ['fault', 'pipe'];
  const row = {};
  for (const kind of order) {
    const make = kind === 'pipe' ? pipeProxy : fault;
    const throughProxy = await make(sourcePort);
    const echoProxy = await make(echoPort);
    row[kind] = { mibPerS: await download(throughProxy.port), rttUs: await roundTrip(echoProxy.port) };
    await throughProxy.close();
    await echoProxy.close();
  }
  row.throughput = row.fault.mibPerS / row.pipe.mibPerS;
  row.rtt = row.fault.rttUs / row.pipe.rttUs;
  rounds.push(row);
}
const echoProxy = await fault(echoPort);
const exact = await concurrentEcho(echoProxy.port);
await echoProxy.close();
const directNow = await roundTrip(echoPort);

const summary = {
  rounds: ROUNDS,
  throughput: {
    median: median(rounds.map((r) => r.throughput)),
    min: Math.min(...rounds.map((r) => r.throughput)),
    max: Math.max(...rounds.map((r) => r.throughput)),
  },
  rtt: {
    median: median(rounds.map((r) => r.rtt)),
    min: Math.min(...rounds.map((r) => r.rtt)),
    max: Math.max(...rounds.map((r) => r.rtt)),
  },
  pipeMiBPerS: median(rounds.map((r) => r.pipe.mibPerS)),
  faultMiBPerS: median(rounds.map((r) => r.fault.mibPerS)),
  pipeRttUs: median(rounds.map((r) => r.pipe.rttUs)),
  faultRttUs: median(rounds.map((r) => r.fault.rttUs)),
  directRttUs: median([direct, directNow]),
  exact: `${exact}/${CONCURRENT}`,
};
summary.addedRtt = (summary.faultRttUs - summary.directRttUs) / (summary.pipeRttUs - summary.directRttUs);
writeFileSync(path.join(root, 'bench', 'proxy-results.json'), JSON.stringify({ summary, rounds }, null, 2));
if (args.includes('--json')) {
  console.log(JSON.stringify({ summary, rounds }, null, 2));
} else {
  const f = (x) => x.toFixed(2);
  console.log(`faultProxy (no toxic) against a node:net pipe() proxy, ${ROUNDS} rounds, ABAB:`);
  console.log(`| measure | pipe() proxy | faultProxy | ratio: median (min–max) | goal |`);
  console.log(`| --- | ---: | ---: | ---: | --- |`);
  console.log(
    `| throughput, ${BYTES / 2 ** 20} MiB down | ${summary.pipeMiBPerS.toFixed(0)} MiB/s | ${summary.faultMiBPerS.toFixed(0)} MiB/s | ${f(summary.throughput.median)}× (${f(summary.throughput.min)}–${f(summary.throughput.max)}) | ≥ 0.8× |`,
  );
  console.log(
    `| round trip, 64 B | ${summary.pipeRttUs.toFixed(0)} µs | ${summary.faultRttUs.toFixed(0)} µs | ${f(summary.rtt.median)}× (${f(summary.rtt.min)}–${f(summary.rtt.max)}) | ≤ 1.2× |`,
  );
  console.log(
    `| added over direct (${summary.directRttUs.toFixed(0)} µs) | ${(summary.pipeRttUs - summary.directRttUs).toFixed(0)} µs | ${(summary.faultRttUs - summary.directRttUs).toFixed(0)} µs | ${f(summary.addedRtt)}× | ≤ 1.2× |`,
  );
  console.log(`| ${CONCURRENT} concurrent echoes of 1 MiB | | ${summary.exact} byte-exact | | all |`);
}
if (exact !== CONCURRENT) {
  console.error(`bench: only ${exact} of ${CONCURRENT} echoes came back byte-exact`);
  process.exitCode = 1;
}
process.exit();
