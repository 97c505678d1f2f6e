// worker_threads check, run by test/workers.test.ts in its own process: four workers use the
// addon at once on their own loopback connections (tcpInfo, setKeepAlive, abort); one of them
// is terminated while its connection waits on the kernel's keepalive timer and it is in the
// middle of a loop of calls. The main thread then keeps using the addon. Prints `S {json}`.
import { once } from 'node:events';
import { readdirSync, readlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closed, tcpPair } from './loopback.mjs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { abort, setKeepAlive, tcpInfo } = require(path.join(root, 'dist/index.js'));

// Sockets this process holds. (Not all fds: worker start-up leaves a /dev/null and an
// eventfd of Node's own behind.)
function socketFds() {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // the directory's own fd, gone by now
    }
  }
  return n;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function busy(rounds) {
  const counts = { tcpInfo: 0, setKeepAlive: 0, abort: 0 };
  const buffer = new Uint8Array(280);
  for (let r = 0; r < rounds; r++) {
    const { client, peer, server } = await tcpPair();
    for (let i = 0; i < 200; i++) {
      tcpInfo(client, buffer);
      if (tcpInfo(peer).state !== 'ESTABLISHED') throw new Error('not established');
      setKeepAlive(client, { idle: 1_000 + (i % 5) * 1_000, interval: 1_000, count: 3 });
      counts.tcpInfo += 2;
      counts.setKeepAlive++;
    }
    const reset = closed(client);
    abort(peer);
    counts.abort++;
    client.resume();
    await reset;
    server.close();
    await tick();
  }
  return counts;
}

async function victim() {
  const { client } = await tcpPair();
  // The kernel now runs a keepalive timer for this connection (first probe after 1 s).
  setKeepAlive(client, { idle: 1_000, interval: 1_000, count: 5 });
  parentPort.postMessage({ waiting: true });
  const buffer = new Uint8Array(280);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    for (let i = 0; i < 500; i++) {
      tcpInfo(client, buffer);
      setKeepAlive(client, { idle: 1_000, interval: 1_000, count: 5 });
    }
    await tick();
  }
  parentPort.postMessage({ notTerminated: true });
}

if (!isMainThread) {
  if (workerData.role === 'victim') await victim();
  else parentPort.postMessage({ counts: await busy(workerData.rounds) });
} else {
  const socketsBefore = socketFds();
  const self = fileURLToPath(import.meta.url);
  const roles = ['busy', 'busy', 'busy', 'victim'];
  const workers = roles.map((role) => new Worker(self, { workerData: { role, rounds: 25 } }));
  // Listen for 'exit' from the start: a worker may be gone before its results are read.
  const exited = workers.slice(0, 3).map((w) => once(w, 'exit'));
  const results = workers.slice(0, 3).map(
    (w) =>
      new Promise((resolve, reject) => {
        w.on('message', (m) => m.counts && resolve(m.counts));
        w.on('error', reject);
      }),
  );
  const victimWorker = workers[3];
  victimWorker.on('error', (e) => {
    throw e;
  });
  const [message] = await once(victimWorker, 'message');
  if (!message.waiting) throw new Error('victim did not start waiting');
  // Let it run its loop for a while, the other three busy at the same time, then stop it.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const exitCode = await victimWorker.terminate();

  // The main thread keeps working with the addon, during and after.
  const { client, peer, server } = await tcpPair();
  setKeepAlive(client, { idle: 2_000, interval: 1_000, count: 2 });
  const mainState = tcpInfo(client).state;
  const counts = await Promise.all(results);
  await Promise.all(exited);
  const reset = closed(client);
  abort(peer);
  client.resume();
  await reset;
  server.close();
  await tick();
  const socketsAfter = socketFds();
  writeSync(1, `S ${JSON.stringify({ victimExitCode: exitCode, mainState, counts, socketsBefore, socketsAfter })}\n`);
}
