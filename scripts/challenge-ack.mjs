#!/usr/bin/env node
// Measures the kernel's challenge-ACK limits (RFC 5961 §7) with forged in-window RSTs on loopback
// and the capture, in the network namespace it runs in — it changes that namespace's sysctls, so
// run it in one of its own:
//   node dist/cli/netns-cli.js -- node scripts/challenge-ack.mjs        (any user)
//   scripts/kernel-run 6.1 -- node scripts/challenge-ack.mjs            (Debian's 6.1, as root)
// Prints one JSON object: the defaults, the per-socket limit (net.ipv4.tcp_invalid_ratelimit) as
// the gaps between challenge ACKs, and with it off, the per-namespace limit
// (net.ipv4.tcp_challenge_ack_limit) as the ACKs a burst of RSTs draws in one second.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { Capture, forge, RawSocket } = require(path.join(root, 'dist/index.js'));
const { nextExpected } = require(path.join(root, 'dist/scenario/actions/forge.js'));

const sysctl = (name, value) => {
  const file = `/proc/sys/net/ipv4/${name}`;
  if (value !== undefined) writeFileSync(file, String(value));
  return Number(readFileSync(file, 'utf8'));
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback connection, its capture, and how many ACKs the server sent since `mark`. */
async function connection() {
  const listener = (await RawSocket.listen({ host: '127.0.0.1' })).socket;
  const capture = Capture.open(listener);
  const client = (await RawSocket.connect({ host: '127.0.0.1', port: listener.localAddress.port })).socket;
  const server = (await listener.accept()).socket;
  const serverPort = server.localAddress.port;
  const next = nextExpected(capture, client.localAddress.port, serverPort);
  let seen = capture.segments.length;
  return {
    /** Forges an in-window RST to the server: one past the next expected sequence number. */
    reset: (i) => forge(server, { flags: 'R', seq: (next + 1 + i) >>> 0 }),
    /** The server's pure ACKs since the last call, with their times. */
    acks() {
      const fresh = capture.segments.slice(seen);
      seen = capture.segments.length;
      return fresh.filter((s) => s.source.port === serverPort && s.flags === '.').map((s) => s.at);
    },
    close() {
      capture.close();
      for (const s of [client, server, listener]) s.close();
    },
  };
}

const out = {
  kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  defaults: {
    tcp_challenge_ack_limit: sysctl('tcp_challenge_ack_limit'),
    tcp_invalid_ratelimit: sysctl('tcp_invalid_ratelimit'),
  },
};

// Per socket: one RST every 100 ms for 2 s; the gaps between the challenge ACKs.
{
  const c = await connection();
  for (let i = 0; i < 20; i++) {
    c.reset(i);
    await sleep(100);
  }
  const times = c.acks();
  out.perSocket = { resets: 20, acks: times.length, gapsMs: times.slice(1).map((t, i) => Math.round(t - times[i])) };
  c.close();
}

// Per namespace: the per-socket limit off, a burst of RSTs, one second apart, at two limits.
sysctl('tcp_invalid_ratelimit', 0);
out.perNamespace = {};
for (const [limit, burst] of [
  [out.defaults.tcp_challenge_ack_limit, 300],
  [10, 200],
  [100, 400],
]) {
  sysctl('tcp_challenge_ack_limit', limit);
  const counts = [];
  for (let round = 0; round < (limit === out.defaults.tcp_challenge_ack_limit ? 1 : 6); round++) {
    const c = await connection();
    for (let i = 0; i < burst; i++) c.reset(i);
    await sleep(20);
    counts.push(c.acks().length);
    c.close();
    await sleep(1000);
  }
  out.perNamespace[limit] = { resets: burst, acks: counts };
}
sysctl('tcp_challenge_ack_limit', out.defaults.tcp_challenge_ack_limit);
sysctl('tcp_invalid_ratelimit', out.defaults.tcp_invalid_ratelimit);
console.log(JSON.stringify(out));
