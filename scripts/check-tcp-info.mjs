#!/usr/bin/env node
// Asserts what tcpInfo() decodes on the running kernel, on a real loopback connection (IPv4 and
// IPv6): the length the kernel fills is the one known for its series (6.1: 232, 6.12: 248,
// 6.18: 280), every field the struct holds is defined and every field past it is `undefined`,
// never 0. The same for the kernel's socket table: sockets() finds the connection (sock_diag,
// inet_diag + tcp_diag loaded) and its tcp_info has the same length and state. Run on the host
// and inside kernel-run VMs (.ci/run, npm run matrix) — vitest is too slow to start under
// emulation, so this is a plain script that exits 1 on any mismatch.
//
// usage: node scripts/check-tcp-info.mjs [--length N] [--package DIR]
//   --length N     overrides the per-series length
//   --package DIR  loads sockctl as installed in DIR/node_modules (default: this tree's dist/)
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createRequire } from 'node:module';

const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const installedIn = option('--package');
const { sockets, tcpInfo, TCP_INFO_FIELDS } = installedIn
  ? createRequire(path.resolve(installedIn, 'package.json'))('sockctl')
  : createRequire(import.meta.url)('../dist/index.js');

// The lengths measured on Debian's kernels; a series not listed is only checked for consistency.
const KNOWN = { 6.1: 232, 6.12: 248, 6.18: 280 };
// Fields that 6.1's 232-byte struct does not hold (added in 6.2, 6.7 and 6.18).
const NEWER_THAN_6_1 = ['rcvWnd', 'rehash', 'totalRto', 'totalRtoRecoveries', 'totalRtoTimeMs', 'receivedCe', 'accecnOptSeen'];
const SIZES = { u8: 1, bits: 1, u16: 2, u32: 4, u64: 8 };

const series = os.release().match(/^(\d+\.\d+)/)?.[1] ?? '?';
const expected = option('--length') !== undefined ? Number(option('--length')) : KNOWN[series];

// Bounded: a hung connect must not hold a CI job.
setTimeout(() => {
  console.error('check-tcp-info: no answer within 10 s');
  process.exit(1);
}, 10_000).unref();

const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

async function family(host) {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const client = net.connect(server.address().port, host);
  const [accepted] = await Promise.all([once(server, 'connection'), once(client, 'connect')]);
  try {
    const info = tcpInfo(client);
    const tag = `${host} length ${info.length}`;
    if (expected !== undefined) check(info.length === expected, `${tag}: expected ${expected} on Linux ${series}`);
    check(info.state === 'ESTABLISHED', `${tag}: state ${info.state}`);
    for (const [name, offset, type] of TCP_INFO_FIELDS) {
      const inside = offset + SIZES[type] <= info.length;
      if (inside) check(info[name] !== undefined, `${tag}: ${name} (offset ${offset}) is undefined`);
      else check(info[name] === undefined, `${tag}: ${name} (offset ${offset}) is ${info[name]}, not undefined`);
    }
    // The socket table: this very socket, by its ports, with tcp_info as long as getsockopt's.
    let row;
    try {
      row = sockets({ localPorts: [client.localPort], remotePorts: [client.remotePort] }).find((s) => s.attribution === 'fd');
      check(row !== undefined, `${tag}: sockets() does not list the connection`);
    } catch (error) {
      check(false, `${tag}: sockets() ${error.code}: ${error.message}`);
    }
    if (row) {
      check(row.tcpInfo?.length === info.length, `${tag}: sockets() tcp_info length ${row.tcpInfo?.length}`);
      check(row.state === 'ESTABLISHED' && row.tcpInfo?.state === 'ESTABLISHED', `${tag}: sockets() state ${row.state}`);
    }
    const newer = Object.fromEntries(NEWER_THAN_6_1.map((name) => [name, info[name]]));
    if (info.length <= 232) for (const name of NEWER_THAN_6_1) check(newer[name] === undefined, `${tag}: ${name} defined`);
    if (info.length >= 280) for (const name of NEWER_THAN_6_1) check(newer[name] !== undefined, `${tag}: ${name} undefined`);
    console.log(
      `check-tcp-info: Linux ${os.release()} ${host}: length ${info.length}; sockets() ${row?.tcpInfo?.length ?? 'none'}; ${JSON.stringify(newer, (_k, v) => (v === undefined ? 'undefined' : v))}`,
    );
  } finally {
    accepted[0].destroy();
    client.destroy();
    server.close();
  }
}

await family('127.0.0.1');
await family('::1');
if (failures.length) {
  for (const f of failures) console.error(`check-tcp-info: FAIL ${f}`);
  process.exit(1);
}
console.log(`check-tcp-info: ok (Linux ${series}, expected length ${expected ?? 'not pinned'})`);
process.exit(0);
