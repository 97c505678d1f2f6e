// The netlink parser behind sockets() fed real dumps of this kernel and thousands of mutations of
// them (truncated, flipped, lengths rewritten, random bytes): every call either decodes or throws
// a coded error — never a crash, never a read past the bytes given (the ASan run checks that).
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../src/controls/native.js';
import { decodeRecords } from '../src/controls/sockets.js';
import { TCP_STATES } from '../src/controls/tcp-info.js';

const SOCK_DIAG_BY_FAMILY = 20;
const NLMSG_DONE = 3;
const INET_DIAG_INFO = 2;

let server: net.Server;
let clients: net.Socket[] = [];
let captured: Array<{ sequence: number; datagrams: Uint8Array[] }> = [];

beforeAll(async () => {
  server = net.createServer((s) => s.on('error', () => {})).listen(0);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  clients = ['127.0.0.1', '::1', '127.0.0.1'].map((host) => net.connect(port, host));
  await Promise.all(clients.map((c) => once(c, 'connect')));
  captured = [4, 6].map((family) => {
    const [sequence, datagrams] = native.sockets.capture(family as 4 | 6);
    return { sequence, datagrams: datagrams.map((d) => new Uint8Array(d)) };
  });
});

afterAll(() => {
  for (const c of clients) c.destroy();
  server.close();
});

// A small deterministic generator: a failing mutation can be replayed from its seed.
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

// What outcome() found wrong; asserted empty at the end (expect() per call would cost more than the parse).
const violations: string[] = [];

/** Parses and touches every field of every record; returns 'ok' or the error's code. */
function outcome(bytes: Uint8Array, sequence: number): string {
  let records;
  try {
    records = native.sockets.parse(bytes, sequence);
  } catch (error) {
    const e = error as { code?: unknown; errno?: unknown; syscall?: unknown };
    if (!(error instanceof Error) || typeof e.code !== 'string' || e.syscall !== 'recvmsg' || !((e.errno as number) < 0)) {
      violations.push(`uncoded: ${String(error)}`);
    }
    return String(e.code);
  }
  for (const s of decodeRecords(records)) {
    if (s.family !== 4 && s.family !== 6) violations.push(`family ${s.family}`);
    if (!TCP_STATES.includes(s.state)) violations.push(`state ${s.state}`);
    JSON.stringify(s);
  }
  return 'ok';
}

/** A datagram of one SOCK_DIAG_BY_FAMILY message built by hand, with a tcp_info attribute. */
function handmade(sequence: number, infoLength: number, ends?: { src: number[]; dst: number[] }): Uint8Array {
  const messageLength = 16 + 72 + 4 + infoLength;
  const bytes = new Uint8Array(((messageLength + 3) & ~3) + 20);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, messageLength, true);
  v.setUint16(4, SOCK_DIAG_BY_FAMILY, true);
  v.setUint32(8, sequence, true);
  // inet_diag_msg: family, state, timer, retrans; id: sport, dport (network order), src, dst.
  v.setUint8(16, ends && ends.src.length === 16 ? 10 : 2); // AF_INET6 or AF_INET
  v.setUint8(17, 8); // CLOSE_WAIT
  v.setUint8(18, 2); // keepalive
  v.setUint8(19, 3);
  v.setUint16(20, 8080, false);
  v.setUint16(22, 40000, false);
  bytes.set(ends?.src ?? [127, 0, 0, 1], 24);
  bytes.set(ends?.dst ?? [10, 1, 2, 3], 40);
  // After the 48-byte id: expires, rqueue, wqueue, uid, inode.
  v.setUint32(16 + 52, 1234, true);
  v.setUint32(16 + 56, 5, true);
  v.setUint32(16 + 60, 7, true);
  v.setUint32(16 + 64, 1000, true);
  v.setUint32(16 + 68, 4321, true);
  v.setUint16(88, 4 + infoLength, true); // rtattr len
  v.setUint16(90, INET_DIAG_INFO, true);
  bytes[92] = 1; // tcpi_state ESTABLISHED
  // NLMSG_DONE after it.
  const done = (messageLength + 3) & ~3;
  v.setUint32(done, 20, true);
  v.setUint16(done + 4, NLMSG_DONE, true);
  v.setUint32(done + 8, sequence, true);
  return bytes;
}

describe('the dump parser', () => {
  it('reads a message built by hand field by field', () => {
    const [records, count] = native.sockets.parse(handmade(77, 232), 77);
    expect(count).toBe(1);
    const [s] = decodeRecords([records, count]);
    expect(s).toMatchObject({
      family: 4,
      state: 'CLOSE_WAIT',
      timer: 'keepalive',
      timerRetries: 3,
      timerMs: 1234,
      unread: 5,
      queued: 7,
      uid: 1000,
      inode: 4321,
      localAddress: '127.0.0.1',
      localPort: 8080,
      remoteAddress: '10.1.2.3',
      remotePort: 40000,
    });
    expect(s.tcpInfo?.length).toBe(232);
    expect(s.tcpInfo?.state).toBe('ESTABLISHED');
    expect(s.tcpInfo?.rcvWnd).toBeUndefined();
    // Another sequence's messages are not this dump's.
    expect(native.sockets.parse(handmade(77, 232), 78)[1]).toBe(0);
  });

  it('names each address right when consecutive entries differ in any one word of it', () => {
    // The parser keeps the text of the last address of each family: a key that misses a word
    // would hand one entry the previous entry's text.
    const v6 = (groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
    const cases: Array<[number[], string]> = [
      [v6([0, 0, 0, 0, 0, 0, 0, 1]), '::1'],
      [v6([1, 0, 0, 0, 0, 0, 0, 1]), '1::1'],
      [v6([1, 0, 2, 0, 0, 0, 0, 1]), '1:0:2::1'],
      [v6([1, 0, 2, 0, 3, 0, 0, 1]), '1:0:2:0:3::1'],
      [v6([1, 0, 2, 0, 3, 0, 4, 1]), '1:0:2:0:3:0:4:1'],
      [v6([1, 0, 2, 0, 3, 0, 4, 1]), '1:0:2:0:3:0:4:1'],
      [v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]), '::ffff:127.0.0.1'],
      [[127, 0, 0, 1], '127.0.0.1'],
      [[127, 0, 0, 2], '127.0.0.2'],
      [[128, 0, 0, 2], '128.0.0.2'],
      [[128, 0, 0, 2], '128.0.0.2'],
    ];
    for (const [src, text] of cases) {
      // Both ends the same address: each entry's first lookup compares with the previous entry's.
      const [s] = decodeRecords(native.sockets.parse(handmade(5, 104, { src, dst: src }), 5));
      expect([s.family, s.localAddress, s.remoteAddress]).toEqual([src.length === 16 ? 6 : 4, text, text]);
    }
  });

  it('reads the real dumps of this kernel', () => {
    const total = captured.reduce((n, c) => n + c.datagrams.length, 0);
    expect(total).toBeGreaterThan(0);
    let sockets = 0;
    for (const { sequence, datagrams } of captured) {
      for (const d of datagrams) {
        expect(outcome(d, sequence)).toBe('ok');
        expect(violations).toEqual([]);
        sockets += native.sockets.parse(d, sequence)[1];
      }
    }
    // At least this file's listener and three connections (both ends).
    expect(sockets).toBeGreaterThanOrEqual(7);
  });

  it('never crashes on truncated, flipped, rewritten or random bytes', () => {
    const rand = random(0x5eed);
    const seen = new Map<string, number>();
    const note = (o: string) => seen.set(o, (seen.get(o) ?? 0) + 1);
    const real = captured.flatMap(({ sequence, datagrams }) => datagrams.map((d) => ({ sequence, d })));
    let calls = 0;
    for (const { sequence, d } of real.slice(0, 4)) {
      // Every truncation of the first 1,200 bytes.
      for (let cut = 0; cut < Math.min(d.length, 1200); cut++, calls++) note(outcome(d.subarray(0, cut), sequence));
      for (let i = 0; i < 1000; i++, calls++) {
        const m = d.slice();
        const kind = i % 5;
        const at = Math.floor(rand() * m.length);
        if (kind === 0) m[at] ^= 1 << Math.floor(rand() * 8);
        else if (kind === 1) new DataView(m.buffer).setUint32(at & ~3, Math.floor(rand() * 2 ** 32), true);
        // Rewrite a length field of the first message: nlmsg_len, then the first rta_len.
        else if (kind === 2) new DataView(m.buffer).setUint32(0, [0, 1, 15, 16, 17, 88, m.length + 1, 2 ** 32 - 1][i % 8], true);
        else if (kind === 3 && m.length > 92) new DataView(m.buffer).setUint16(88, [0, 3, 4, 5, 0xffff, m.length][i % 6], true);
        else for (let j = 0; j < 16; j++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
        note(outcome(m, sequence));
      }
    }
    for (let i = 0; i < 500; i++, calls++) {
      const m = new Uint8Array(Math.floor(rand() * 600));
      for (let j = 0; j < m.length; j++) m[j] = Math.floor(rand() * 256);
      // Half of them keep a plausible header, so the parser gets past the first check.
      if (i % 2 === 0 && m.length >= 16) {
        new DataView(m.buffer).setUint32(0, m.length, true);
        new DataView(m.buffer).setUint16(4, SOCK_DIAG_BY_FAMILY, true);
        new DataView(m.buffer).setUint32(8, 9, true);
      }
      note(outcome(m, 9));
    }
    console.log(`parser fuzz: ${calls} inputs, outcomes ${JSON.stringify(Object.fromEntries(seen))}`);
    expect(violations).toEqual([]);
    expect(calls).toBeGreaterThan(5000);
    // The mutations reached both ends: parsed records and refused messages.
    expect(seen.get('ok')).toBeGreaterThan(0);
    expect(seen.get('EBADMSG')).toBeGreaterThan(0);
  });

  it("attribute() refuses records that are not a snapshot's, whatever the bytes", () => {
    const rand = random(42);
    const [records] = native.sockets.snapshot(0, 0xffff);
    for (let i = 0; i < 300; i++) {
      const m = new Uint8Array(records.slice(0));
      for (let j = 0; j < 4; j++) if (m.length) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      try {
        native.sockets.attribute(m.subarray(0, Math.floor(rand() * (m.length + 1))));
      } catch (error) {
        expect((error as { code?: string }).code).toBe('ERR_INVALID_ARG_VALUE');
      }
    }
  });
});
