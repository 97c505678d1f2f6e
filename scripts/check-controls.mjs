#!/usr/bin/env node
// A smoke of every control on the running kernel, as a plain script (vitest is slow to start
// under emulation): scripts/check-arm64.mjs runs it inside the arm64 VM on each Node version.
// Each check asserts what the kernel did on a real 127.0.0.1 connection:
//   binary     the mapped sockctl*.node is an ELF for this process's CPU (from /proc/self/maps)
//   abort      abort() on one end → the peer's 'error' ECONNRESET
//   options    keepalive 7000/3000/4, user timeout 1500, linger 5000 read back, each differing
//              from the value before
//   tcpInfo    state ESTABLISHED, the kernel's length, RTT and byte counters of sent data
//   queues     SIOCINQ counts the bytes the peer has not read
//   raw        RawSocket: peer closes with unread data → recv ECONNRESET, send EPIPE, recv EOF;
//              connect to a closed port → ECONNREFUSED
//   blackhole  canBlackhole(), then a drop-all filter on the peer + user timeout 500 ms →
//              'error' ETIMEDOUT
//   kill       canKill(), then kill() → the owner's 'error' ECONNABORTED, the peer's ECONNRESET,
//              and socketCookie() is a non-zero bigint
// blackhole and kill need CAP_NET_ADMIN (and kill the inet_diag/tcp_diag modules): without
// them they fail here, with the probe's reason, unless --allow-skip names them.
// Prints one line per check and a closing JSON line; exits 1 if any check failed.
//
// usage: node scripts/check-controls.mjs [--package DIR] [--allow-skip blackhole,kill]
//   --package DIR  load sockctl as installed in DIR/node_modules (default: this tree's dist/)
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

// This tree's CommonJS entry, for runs without --package.
const TREE_ENTRY = '../dist/index.js';

const { values: options } = parseArgs({
  options: { package: { type: 'string' }, 'allow-skip': { type: 'string', default: '' } },
});
const require = createRequire(import.meta.url);
const sockctl = options.package ? createRequire(path.resolve(options.package, 'package.json'))('sockctl') : require(TREE_ENTRY);
const allowSkip = new Set(options['allow-skip'].split(',').filter(Boolean));

// Bounded: nothing here may hold a CI job.
setTimeout(() => {
  console.error('check-controls: not done within 60 s');
  process.exit(1);
}, 60_000).unref();

const ELF_MACHINES = { x64: 62, arm64: 183 };
const results = [];

async function check(name, body) {
  try {
    const detail = await body();
    results.push({ name, ok: true, detail });
    console.log(`check-controls: ok ${name}: ${JSON.stringify(detail)}`);
  } catch (error) {
    const skipped = error.skip && allowSkip.has(name);
    results.push({
      name,
      ok: skipped,
      skipped: error.skip ? error.message : undefined,
      error: skipped ? undefined : String(error.message ?? error),
    });
    console.log(`check-controls: ${skipped ? 'skipped' : 'FAIL'} ${name}: ${error.message ?? error}`);
  }
}

function expect(ok, message) {
  if (!ok) throw new Error(message);
}

/** A connected pair on 127.0.0.1: [client, accepted], plus a close() for both and the server. */
async function pair(serverOptions = {}) {
  const server = net.createServer(serverOptions);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  const [[accepted]] = await Promise.all([once(server, 'connection'), once(client, 'connect')]);
  const close = () => {
    client.destroy();
    accepted.destroy();
    server.close();
  };
  return { client, accepted, server, close };
}

/** The first 'error' a socket emits within `ms`, as { code, syscall, ms }. */
function nextError(socket, ms) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'error' within ${ms} ms`)), ms);
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: error.code, syscall: error.syscall, ms: Date.now() - start });
    });
  });
}

function unavailable(probe, what) {
  const error = new Error(`${what}: ${probe.code} ${probe.reason}`);
  error.skip = true;
  return error;
}

await check('binary', () => {
  const mapped = [
    ...new Set(
      fs
        .readFileSync('/proc/self/maps', 'utf8')
        .split('\n')
        .map((line) => line.split(/\s+/)[5])
        .filter((file) => file && /sockctl[^/]*\.node$/.test(file)),
    ),
  ];
  expect(mapped.length === 1, `mapped sockctl binaries: ${mapped.join(', ') || 'none'}`);
  const header = fs.readFileSync(mapped[0]).subarray(0, 20);
  const machine = header.readUInt16LE(18);
  expect(header.subarray(0, 4).toString('latin1') === '\x7fELF', `${mapped[0]} is not an ELF file`);
  expect(machine === ELF_MACHINES[process.arch], `${mapped[0]}: ELF machine ${machine}, process.arch ${process.arch}`);
  return { file: mapped[0], machine, arch: process.arch, node: process.version };
});

await check('abort', async () => {
  const { client, accepted, close } = await pair();
  const error = nextError(client, 5000);
  sockctl.abort(accepted);
  const seen = await error;
  close();
  expect(seen.code === 'ECONNRESET', `peer saw ${seen.code}`);
  return seen;
});

await check('options', async () => {
  const { client, close } = await pair();
  try {
    const before = {
      keepAlive: sockctl.getKeepAlive(client),
      userTimeout: sockctl.getUserTimeout(client),
      linger: sockctl.getLinger(client),
    };
    sockctl.setKeepAlive(client, { enable: true, idle: 7000, interval: 3000, count: 4 });
    sockctl.setUserTimeout(client, 1500);
    sockctl.setLinger(client, 5000);
    const after = {
      keepAlive: sockctl.getKeepAlive(client),
      userTimeout: sockctl.getUserTimeout(client),
      linger: sockctl.getLinger(client),
    };
    const want = { keepAlive: { enable: true, idle: 7000, interval: 3000, count: 4 }, userTimeout: 1500, linger: 5000 };
    expect(JSON.stringify(after) === JSON.stringify(want), `read back ${JSON.stringify(after)}`);
    expect(JSON.stringify(before.keepAlive) !== JSON.stringify(want.keepAlive), 'keepalive was already 7000/3000/4');
    expect(before.userTimeout !== 1500 && before.linger !== 5000, `before: ${JSON.stringify(before)}`);
    return after;
  } finally {
    sockctl.setLinger(client, null);
    close();
  }
});

await check('tcpInfo', async () => {
  const { client, accepted, close } = await pair();
  try {
    client.write('hello');
    await once(accepted, 'data');
    // The ACK of those 5 bytes may still be on its way: wait for it (bounded).
    let info = sockctl.tcpInfo(client);
    for (let i = 0; i < 50 && !(info.bytesAcked >= 5); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      info = sockctl.tcpInfo(client);
    }
    expect(info.state === 'ESTABLISHED', `state ${info.state}`);
    expect(info.length >= 104 && info.length <= sockctl.TCP_INFO_SIZE, `length ${info.length}`);
    expect(typeof info.rttUs === 'number' && info.rttUs > 0, `rttUs ${info.rttUs}`);
    expect(info.bytesAcked >= 5, `bytesAcked ${info.bytesAcked}`);
    expect(info.bytesSent === undefined || info.bytesSent >= 5, `bytesSent ${info.bytesSent}`);
    return { length: info.length, state: info.state, rttUs: info.rttUs, bytesAcked: info.bytesAcked, bytesSent: info.bytesSent };
  } finally {
    close();
  }
});

await check('queues', async () => {
  const { socket: listener } = await sockctl.RawSocket.listen({ host: '127.0.0.1' });
  const { socket: client } = await sockctl.RawSocket.connect({ host: '127.0.0.1', port: listener.localAddress.port });
  const accepted = await listener.accept();
  expect(accepted.ok, `accept ${accepted.code}`);
  try {
    await client.send('abc');
    await accepted.socket.readable(2000);
    const seen = sockctl.queues(accepted.socket);
    expect(seen.unread === 3, `unread ${seen.unread}`);
    return seen;
  } finally {
    for (const s of [client, accepted.socket, listener]) s.close();
  }
});

await check('raw', async () => {
  const { socket: listener } = await sockctl.RawSocket.listen({ host: '127.0.0.1' });
  const port = listener.localAddress.port;
  const { socket: client } = await sockctl.RawSocket.connect({ host: '127.0.0.1', port });
  const { socket: server } = await listener.accept();
  await client.send('ab');
  await server.recv(1);
  server.close(); // 1 byte unread: the kernel sends RST
  const sequence = [await client.recv(16), await client.send('x'), await client.recv(16)];
  const seen = sequence.map((r) => (r.ok ? (r.bytes === 0 ? 'EOF' : `${r.bytes} bytes`) : `${r.code} ${r.syscall} ${r.errno}`));
  client.close();
  listener.close();
  const refused = await sockctl.RawSocket.connect({ host: '127.0.0.1', port, timeout: 2000 });
  if (refused.ok) refused.socket.close();
  seen.push(refused.ok ? 'connected' : `${refused.code} ${refused.syscall}`);
  expect(seen[0] === 'ECONNRESET recv -104' && seen[1] === 'EPIPE send -32' && seen[2] === 'EOF', `sequence ${seen.join(', ')}`);
  expect(!refused.ok && refused.code === 'ECONNREFUSED', `connect to a closed port: ${seen[3]}`);
  return seen;
});

await check('blackhole', async () => {
  const probe = sockctl.canBlackhole();
  if (!probe.ok) throw unavailable(probe, 'canBlackhole');
  const { client, accepted, close } = await pair();
  try {
    sockctl.setUserTimeout(client, 500);
    sockctl.blackhole(accepted);
    const error = nextError(client, 10_000);
    client.write('hello');
    const seen = await error;
    expect(seen.code === 'ETIMEDOUT', `client saw ${seen.code}`);
    return seen;
  } finally {
    close();
  }
});

await check('kill', async () => {
  const probe = sockctl.canKill();
  if (!probe.ok) throw unavailable(probe, 'canKill');
  const { client, accepted, close } = await pair();
  try {
    const cookie = sockctl.socketCookie(client);
    expect(typeof cookie === 'bigint' && cookie > 0n, `cookie ${cookie}`);
    const owner = nextError(client, 5000);
    const peer = nextError(accepted, 5000);
    sockctl.kill(client);
    const seen = { owner: await owner, peer: await peer, cookie: String(cookie) };
    expect(
      seen.owner.code === 'ECONNABORTED' && seen.peer.code === 'ECONNRESET',
      `owner ${seen.owner.code}, peer ${seen.peer.code}`,
    );
    return seen;
  } finally {
    close();
  }
});

const failed = results.filter((r) => !r.ok);
console.log(JSON.stringify({ node: process.version, arch: process.arch, results }));
console.log(failed.length ? `check-controls: FAIL ${failed.map((r) => r.name).join(', ')}` : 'check-controls: ok');
process.exit(failed.length ? 1 : 0);
