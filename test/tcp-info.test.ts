import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTcpInfo, queues, tcpInfo, tcpInfoBatch, TCP_INFO_FIELDS, TCP_INFO_SIZE, TcpInfoOptions } from '../src/index.js';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../src/controls/native.js';
import { HOSTS, messageOf, tcpPair, until, type TcpPair } from './helpers.js';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe.each(HOSTS)('tcpInfo on %s', (host) => {
  it('reads ESTABLISHED, then CLOSE_WAIT after the peer FIN', async () => {
    pair = await tcpPair(host, { allowHalfOpen: true });
    expect(tcpInfo(pair.client).state).toBe('ESTABLISHED');
    expect(tcpInfo(pair.server).state).toBe('ESTABLISHED');
    pair.server.end();
    pair.client.resume();
    await once(pair.client, 'end');
    expect(tcpInfo(pair.client).state).toBe('CLOSE_WAIT');
    await until(() => tcpInfo(pair!.server).state === 'FIN_WAIT2');
    expect(tcpInfo(pair.server).state).toBe('FIN_WAIT2');
  });

  it('counts the bytes each side sent and received', async () => {
    pair = await tcpPair(host);
    pair.client.write(Buffer.alloc(1000, 7));
    await until(() => queues(pair!.server).unread === 1000);
    const server = tcpInfo(pair.server);
    const client = tcpInfo(pair.client);
    expect(server.bytesReceived).toBe(1000);
    expect(client.bytesAcked).toBe(1001); // SYN counts as one.
    expect(client.bytesSent).toBe(1000);
    expect(client.dataSegsOut).toBeGreaterThanOrEqual(1);
    expect(client.rttUs).toBeGreaterThan(0);
    expect(client.sndCwnd).toBeGreaterThan(0);
    expect(client.caState).toBe('Open');
    // Loopback negotiates timestamps, SACK and window scaling.
    const wanted = TcpInfoOptions.TIMESTAMPS | TcpInfoOptions.SACK | TcpInfoOptions.WSCALE;
    expect((client.options ?? 0) & wanted).toBe(wanted);
  });

  it('decodes a listening socket as LISTEN', async () => {
    pair = await tcpPair(host);
    expect(tcpInfo(pair.listener).state).toBe('LISTEN');
  });
});

describe('length awareness', () => {
  it('this kernel fills a length the field table knows, and every field up to it is defined', async () => {
    pair = await tcpPair();
    const info = tcpInfo(pair.client);
    expect(info.length).toBeGreaterThanOrEqual(104);
    expect(info.length).toBeLessThanOrEqual(TCP_INFO_SIZE);
    for (const [name, offset] of TCP_INFO_FIELDS) {
      const value = (info as unknown as Record<string, unknown>)[name];
      if (offset < info.length) expect(value, name).not.toBeUndefined();
      else expect(value, name).toBeUndefined();
    }
  });

  it('a short buffer makes the kernel copy less, and the missing fields are undefined, not 0', async () => {
    pair = await tcpPair();
    const small = new Uint8Array(104); // struct tcp_info of Linux 2.6
    expect(tcpInfo(pair.client, small)).toBe(104);
    const info = decodeTcpInfo(small, 104);
    expect(info.state).toBe('ESTABLISHED');
    expect(info.totalRetrans).toBe(0);
    expect(info.pacingRateBps).toBeUndefined();
    expect(info.bytesAcked).toBeUndefined();
    expect(info.rcvWnd).toBeUndefined();
  });

  it('a 232-byte struct (Linux 6.1) has sndWnd but no rcvWnd, rehash or RTO totals', () => {
    const bytes = new Uint8Array(TCP_INFO_SIZE).fill(1);
    const info = decodeTcpInfo(bytes, 232);
    expect(info.sndWnd).toBe(0x01010101);
    expect(info.rcvWnd).toBeUndefined();
    expect(info.rehash).toBeUndefined();
    expect(info.totalRtoTimeMs).toBeUndefined();
    const six12 = decodeTcpInfo(bytes, 248);
    expect(six12.totalRtoTimeMs).toBe(0x01010101);
    expect(six12.receivedCe).toBeUndefined();
  });

  it('the allocation-free path fills the same bytes the object path decodes', async () => {
    pair = await tcpPair();
    const buffer = Buffer.alloc(TCP_INFO_SIZE);
    const length = tcpInfo(pair.client, buffer);
    expect(length).toBe(tcpInfo(pair.client).length);
    expect(decodeTcpInfo(buffer, length).state).toBe('ESTABLISHED');
    // Any ArrayBufferView works; a DataView over part of a larger buffer too.
    const backing = new ArrayBuffer(1024);
    const view = new DataView(backing, 100, TCP_INFO_SIZE);
    expect(tcpInfo(pair.client, view)).toBe(length);
    expect(decodeTcpInfo(view, length).state).toBe('ESTABLISHED');
    // The kernel wrote inside the view only: the bytes before and after it are untouched.
    const all = new Uint8Array(backing);
    expect(all.subarray(0, 100).every((b) => b === 0)).toBe(true);
    expect(all.subarray(100 + TCP_INFO_SIZE).every((b) => b === 0)).toBe(true);
    // Wider element types count in bytes, not elements.
    const words = new Uint32Array(TCP_INFO_SIZE / 4);
    expect(tcpInfo(pair.client, words)).toBe(length);
    expect(decodeTcpInfo(words, length).state).toBe('ESTABLISHED');
  });

  it('a view whose buffer was transferred away has no bytes: the kernel copies 0', async () => {
    pair = await tcpPair();
    const backing = new ArrayBuffer(TCP_INFO_SIZE);
    const view = new Uint8Array(backing);
    structuredClone(backing, { transfer: [backing] });
    expect(backing.byteLength).toBe(0);
    expect(tcpInfo(pair.client, view)).toBe(0);
  });

  it('fields are laid out without overlap and in order', () => {
    const sizes = { u8: 1, bits: 1, u16: 2, u32: 4, u64: 8 } as const;
    let end = 0;
    for (const [name, offset, type] of TCP_INFO_FIELDS) {
      if (type !== 'bits') {
        expect(offset, name).toBeGreaterThanOrEqual(end);
        expect(offset % sizes[type], name).toBe(0);
        end = offset + sizes[type];
      }
    }
    expect(end).toBe(TCP_INFO_SIZE);
  });
});

describe('tcpInfoBatch', () => {
  it.each(HOSTS)('reads many sockets in one call, each slot as tcpInfo() reads it alone (%s)', async (host) => {
    pair = await tcpPair(host, { allowHalfOpen: true });
    pair.client.write(Buffer.alloc(300, 1));
    await until(() => queues(pair!.server).unread === 300);
    // Different states in one batch: a listener, both ends, the client twice.
    pair.server.end();
    pair.client.resume();
    await once(pair.client, 'end');
    await until(() => tcpInfo(pair!.server).state === 'FIN_WAIT2');
    const sockets = [pair.listener, pair.client, pair.server, pair.client];
    const buffer = new Uint8Array(sockets.length * TCP_INFO_SIZE);
    const lengths = tcpInfoBatch(sockets, buffer);
    expect(lengths).toBeInstanceOf(Int32Array);
    const slot = (i: number) => decodeTcpInfo(buffer.subarray(i * TCP_INFO_SIZE, (i + 1) * TCP_INFO_SIZE), lengths[i]);
    expect(sockets.map((_, i) => slot(i).state)).toEqual(['LISTEN', 'CLOSE_WAIT', 'FIN_WAIT2', 'CLOSE_WAIT']);
    for (const [i, s] of sockets.entries()) {
      const alone = tcpInfo(s);
      expect(lengths[i]).toBe(alone.length);
      expect(slot(i).bytesReceived).toBe(alone.bytesReceived);
      expect(slot(i).sndMss).toBe(alone.sndMss);
    }
    expect(slot(2).bytesReceived).toBe(300);
  });

  it('a socket closed since the last tick is -EBADF in its slot; the others are read', async () => {
    pair = await tcpPair();
    const gone = (await tcpPair()) as { client: net.Socket; close(): Promise<void> };
    await gone.close();
    const lengths = new Int32Array(3).fill(123);
    const buffer = new Uint8Array(3 * TCP_INFO_SIZE);
    expect(tcpInfoBatch([pair.client, gone.client, pair.server], buffer, lengths)).toBe(lengths);
    expect(lengths[1]).toBe(-9);
    expect(lengths[0]).toBe(tcpInfo(pair.client).length);
    expect(lengths[2]).toBe(tcpInfo(pair.server).length);
    // Nothing was written into the closed socket's slot.
    expect(buffer.subarray(TCP_INFO_SIZE, 2 * TCP_INFO_SIZE).every((b) => b === 0)).toBe(true);
  });

  it('the same array every tick: a member closed, replaced or moved is read as it is now, never through a stale fd', async () => {
    pair = await tcpPair(undefined, { allowHalfOpen: true });
    const other = await tcpPair();
    const sockets: Array<net.Socket | net.Server> = [pair.client, other.client, pair.server];
    const buffer = new Uint8Array(sockets.length * TCP_INFO_SIZE);
    const state = (lengths: Int32Array, i: number) =>
      decodeTcpInfo(buffer.subarray(i * TCP_INFO_SIZE, (i + 1) * TCP_INFO_SIZE), lengths[i]).state;
    let lengths = tcpInfoBatch(sockets, buffer);
    expect([...lengths].every((l) => l > 0)).toBe(true);
    // Member 1 closes, and its fd number goes to a new listener at once: the array still holds
    // the closed socket, so its slot must say EBADF, not the listener's LISTEN.
    const oldFd = (other.client as unknown as { _handle: { fd: number } })._handle.fd;
    other.client.destroy();
    const reuser = net.createServer().listen(0, '127.0.0.1');
    await once(reuser, 'listening');
    const reusedFd = (reuser as unknown as { _handle: { fd: number } })._handle.fd;
    lengths = tcpInfoBatch(sockets, buffer);
    expect(lengths[1]).toBe(-9);
    expect(state(lengths, 0)).toBe('ESTABLISHED');
    console.log(`fd ${oldFd} closed; the new listener got fd ${reusedFd}`);
    // Replaced in place, then moved: each slot reads the socket now at that index.
    sockets[1] = reuser;
    lengths = tcpInfoBatch(sockets, buffer);
    expect(state(lengths, 1)).toBe('LISTEN');
    sockets.reverse();
    pair.server.end();
    // The FIN makes the client CLOSE_WAIT; its ACK, processed a moment later, the server FIN_WAIT2.
    await until(() => tcpInfo(pair!.client).state === 'CLOSE_WAIT' && tcpInfo(pair!.server).state === 'FIN_WAIT2');
    lengths = tcpInfoBatch(sockets, buffer);
    expect([0, 1, 2].map((i) => state(lengths, i))).toEqual(['FIN_WAIT2', 'LISTEN', 'CLOSE_WAIT']);
    reuser.close();
    await other.close();
  });

  it('the same array grown between ticks: the members read before keep their slots, the new ones are read', async () => {
    pair = await tcpPair(undefined, { allowHalfOpen: true });
    const sockets: Array<net.Socket | net.Server> = [pair.client];
    const buffer = new Uint8Array(5 * TCP_INFO_SIZE);
    const state = (lengths: Int32Array, i: number) =>
      decodeTcpInfo(buffer.subarray(i * TCP_INFO_SIZE, (i + 1) * TCP_INFO_SIZE), lengths[i]).state;
    expect(state(tcpInfoBatch(sockets, buffer), 0)).toBe('ESTABLISHED');
    sockets.push(pair.listener, pair.server);
    let lengths = tcpInfoBatch(sockets, buffer);
    expect([0, 1, 2].map((i) => state(lengths, i))).toEqual(['ESTABLISHED', 'LISTEN', 'ESTABLISHED']);
    // Past the next power of two, after the first member changed state.
    pair.server.end();
    await until(() => tcpInfo(pair!.client).state === 'CLOSE_WAIT' && tcpInfo(pair!.server).state === 'FIN_WAIT2');
    sockets.push(pair.client, pair.listener);
    lengths = tcpInfoBatch(sockets, buffer);
    expect([0, 1, 2, 3, 4].map((i) => state(lengths, i))).toEqual(['CLOSE_WAIT', 'LISTEN', 'FIN_WAIT2', 'CLOSE_WAIT', 'LISTEN']);
    // Shrunk: only the first members are read, into the first slots.
    sockets.length = 1;
    buffer.fill(0);
    lengths = tcpInfoBatch(sockets, buffer);
    expect(lengths).toHaveLength(1);
    expect(state(lengths, 0)).toBe('CLOSE_WAIT');
    expect(buffer.subarray(TCP_INFO_SIZE).every((b) => b === 0)).toBe(true);
  });

  it('a RawSocket and a TLSSocket in the batch: read through their own fds, never a stale one once closed', async () => {
    const { RawSocket, unwrap } = await import('../src/index.js');
    const listener = unwrap(await RawSocket.listen()).socket;
    const raw = unwrap(await RawSocket.connect({ host: '127.0.0.1', port: listener.localAddress!.port })).socket;
    const accepted = unwrap(await listener.accept()).socket;
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
    const server = tls.createServer({
      key: fs.readFileSync(path.join(dir, 'localhost-key.pem')),
      cert: fs.readFileSync(path.join(dir, 'localhost-cert.pem')),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const secure = tls.connect({
      port: (server.address() as net.AddressInfo).port,
      host: '127.0.0.1',
      rejectUnauthorized: false,
    });
    await once(secure, 'secureConnect');
    try {
      const sockets: Array<net.Socket | InstanceType<typeof RawSocket>> = [raw, secure];
      const buffer = new Uint8Array(2 * TCP_INFO_SIZE);
      const slot = (lengths: Int32Array, i: number) =>
        decodeTcpInfo(buffer.subarray(i * TCP_INFO_SIZE, (i + 1) * TCP_INFO_SIZE), lengths[i]);
      for (let tick = 0; tick < 2; tick++) {
        const lengths = tcpInfoBatch(sockets, buffer);
        expect([slot(lengths, 0).state, slot(lengths, 1).state]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
        expect(slot(lengths, 0).bytesAcked).toBe(tcpInfo(raw).bytesAcked);
        expect(slot(lengths, 1).bytesReceived).toBe(tcpInfo(secure).bytesReceived);
      }
      // Both close; new listeners take their fd numbers. Neither slot may read them.
      raw.close();
      secure.destroy();
      const reusers = [net.createServer().listen(0, '127.0.0.1'), net.createServer().listen(0, '127.0.0.1')];
      await Promise.all(reusers.map((r) => once(r, 'listening')));
      const lengths = tcpInfoBatch(sockets, buffer);
      expect([...lengths]).toEqual([-9, -9]);
      for (const r of reusers) r.close();
    } finally {
      if (!raw.closed) raw.close();
      accepted.close();
      listener.close();
      secure.destroy();
      server.close();
    }
  });

  it('an empty list reads nothing', () => {
    expect(tcpInfoBatch([], new Uint8Array(0))).toEqual(new Int32Array(0));
  });

  it('refuses what is not a socket, a short buffer or short lengths before any syscall', async () => {
    pair = await tcpPair();
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => tcpInfoBatch([pair!.client, {} as net.Socket], new Uint8Array(2 * TCP_INFO_SIZE))).toThrow(
      code('ERR_INVALID_ARG_TYPE'),
    );
    expect(() => tcpInfoBatch('x' as never, new Uint8Array(0))).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => tcpInfoBatch([pair!.client], [] as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => tcpInfoBatch([pair!.client], new Uint8Array(TCP_INFO_SIZE - 1))).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => tcpInfoBatch([pair!.client, pair!.server], new Uint8Array(2 * TCP_INFO_SIZE), new Int32Array(1))).toThrow(
      code('ERR_OUT_OF_RANGE'),
    );
    expect(() => tcpInfoBatch([pair!.client], new Uint8Array(TCP_INFO_SIZE), new Uint32Array(1) as never)).toThrow(
      code('ERR_INVALID_ARG_TYPE'),
    );
    expect(messageOf(() => tcpInfoBatch('x' as never, new Uint8Array(0)))).toBe(
      `The "sockets" argument must be an Array. Received type string ('x')`,
    );
    expect(messageOf(() => tcpInfoBatch([], 'x' as never))).toBe(
      `The "buffer" argument must be an ArrayBufferView. Received type string ('x')`,
    );
    expect(messageOf(() => tcpInfoBatch([], new Uint8Array(0), [] as never))).toBe(
      'The "lengths" argument must be an instance of Int32Array. Received an instance of Array',
    );
    expect(
      messageOf(() => tcpInfoBatch([pair!.client, pair!.server], new Uint8Array(2 * TCP_INFO_SIZE), new Int32Array(1))),
    ).toBe('The value of "lengths" is out of range. It must be at least 2 long (one per socket). Received 1');
    expect(messageOf(() => tcpInfoBatch([pair!.client, pair!.server], new Uint8Array(2 * TCP_INFO_SIZE - 1)))).toBe(
      `The value of "buffer" is out of range. It must be at least ${2 * TCP_INFO_SIZE} bytes long (${TCP_INFO_SIZE} per socket). Received ${2 * TCP_INFO_SIZE - 1}`,
    );
    // Exactly long enough is enough; lengths may be longer than the list.
    expect(tcpInfoBatch([pair!.client], new Uint8Array(TCP_INFO_SIZE), new Int32Array(3))).toHaveLength(3);
    expect(messageOf(() => tcpInfoBatch([pair!.client, 5 as never], new Uint8Array(2 * TCP_INFO_SIZE)))).toMatch(
      /^The "sockets" argument must be an instance of net\.Socket/,
    );
  });

  it('the native batch checks its own bounds', () => {
    const code = (c: string) => expect.objectContaining({ code: c });
    const batch = native.tcpInfo.tcpInfoBatch;
    expect(() => batch(new Int32Array(2), new Uint8Array(10), 8, new Int32Array(2))).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => batch(new Int32Array(2), new Uint8Array(16), 8, new Int32Array(1))).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => batch(new Uint32Array(2) as never, new Uint8Array(16), 8, new Int32Array(2))).toThrow(
      code('ERR_INVALID_ARG_TYPE'),
    );
    expect(() => batch(new Int32Array(1), new Uint8Array(16), 0, new Int32Array(1))).toThrow(code('ERR_OUT_OF_RANGE'));
    // Fds that are not sockets are answered per slot, like a closed one.
    const lengths = new Int32Array(2);
    expect(batch(new Int32Array([-1, 2 ** 31 - 1]), new Uint8Array(16), 8, lengths)).toBe(0);
    expect([...lengths]).toEqual([-9, -9]);
  });
});
