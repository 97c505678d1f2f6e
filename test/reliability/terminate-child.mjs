// worker_threads terminated while their code is inside throwing sockctl calls, run by
// test/workers.test.ts in its own process. A worker being terminated can no longer throw into
// JavaScript: an error a native function raises then (a bad argument, a kernel errno turned into
// a SystemError, a parse failure) must be dropped with the worker, not abort the whole process
// ("terminate called after throwing an instance of 'Napi::Error'"). Prints `S {json}`.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sockctl = require(path.join(root, 'dist/index.js'));
const { native } = require(path.join(root, 'dist/controls/native.js'));
const ROUNDS = Number(process.argv[2] ?? 60);

// Each throws from native code: an argument the addon refuses, ENOPROTOOPT from the kernel,
// bytes the netlink parser refuses.
function throwing(raw) {
  const garbage = new Uint8Array(64).fill(0xff);
  return [
    () => native.options.getUserTimeout(-5),
    () => sockctl.getOption(raw, sockctl.constants.IPPROTO_TCP, 9999),
    () => native.sockets.parse(garbage, 1),
  ];
}

if (isMainThread) {
  const exitCodes = new Map();
  let thrown = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const worker = new Worker(fileURLToPath(import.meta.url));
    const started = new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await started;
    // Terminate at a different point of the loop each round: 0–4 ms into it.
    await new Promise((resolve) => setTimeout(resolve, round % 5));
    const code = await worker.terminate();
    exitCodes.set(code, (exitCodes.get(code) ?? 0) + 1);
  }
  // The main thread's own calls still throw their coded errors.
  const raw = sockctl.RawSocket.create(4);
  for (const call of throwing(raw)) {
    try {
      call();
    } catch (error) {
      if (typeof error.code === 'string') thrown++;
    }
  }
  raw.close();
  console.log(`S ${JSON.stringify({ rounds: ROUNDS, exitCodes: Object.fromEntries(exitCodes), mainThrown: thrown })}`);
} else {
  const raw = sockctl.RawSocket.create(4);
  const calls = throwing(raw);
  parentPort.postMessage('looping');
  // Ends only by terminate(); bounded anyway, at 10 s of calls.
  const deadline = Date.now() + 10_000;
  for (let i = 0; Date.now() < deadline; i++) {
    try {
      calls[i % calls.length]();
    } catch {
      // expected: every call throws
    }
  }
  raw.close();
}
