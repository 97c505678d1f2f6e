// Forged segments (src/raw/forge.ts, native/forge.cc) to the library's own loopback sockets: the
// kernel's answers, and the refusals. The refusal of a non-loopback address needs one, so it runs
// in a network namespace of its own (test/wire-privilege.test.ts).
import { describe, expect, it } from 'vitest';
import { fdOf } from '../src/controls/handle.js';
import { native } from '../src/controls/native.js';
import { Capture } from '../src/raw/capture.js';
import { canForge, forge, forgedHeader } from '../src/raw/forge.js';
import { RawSocket } from '../src/raw/raw-socket.js';
import { nextExpected } from '../src/scenario/actions/forge.js';
import { caught, HOSTS, messageOf } from './helpers.js';

const probe = canForge();
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;

async function connected(host: string) {
  const listened = await RawSocket.listen({ host });
  if (!listened.ok) throw new Error(listened.code);
  const listener = listened.socket;
  const capture = Capture.open(listener);
  const c = await RawSocket.connect({ host, port: listener.localAddress!.port });
  const a = await listener.accept();
  if (!c.ok || !a.ok) throw new Error('no connection');
  const client = c.socket;
  const server = a.socket;
  const next = () => nextExpected(capture, client.localAddress!.port, server.localAddress!.port)!;
  const close = () => [client, server, listener].forEach((s) => s.closed || s.close());
  return { listener, client, server, capture, next, close };
}

describe.skipIf(!probe.ok).each(HOSTS)(`forge on %s${skipReason}`, (host) => {
  it('an RST at the next expected sequence number resets the server: recv ECONNRESET', async () => {
    const p = await connected(host);
    expect(forge(p.server, { flags: 'R', seq: p.next() })).toEqual({ ok: true, syscall: 'sendto' });
    const got = await p.server.recv(1, { timeout: 1000 });
    expect(got).toMatchObject({ ok: false, code: 'ECONNRESET', syscall: 'recv' });
    p.capture.close();
    p.close();
  });

  it('one past it draws a challenge ACK and the connection lives; the capture marks the forged one', async () => {
    const p = await connected(host);
    const seq = (p.next() + 1) >>> 0;
    p.capture.expectForged({
      sourcePort: p.client.localAddress!.port,
      destinationPort: p.server.localAddress!.port,
      seq,
      flagBits: 0x04,
    });
    forge(p.server, { flags: 'R', seq });
    await p.capture.settle();
    const last = p.capture.segments.slice(-2);
    expect(last.map((s) => [s.flags, s.forged ?? false])).toEqual([
      ['R', true],
      ['.', false],
    ]);
    expect(last[1].source.port).toBe(p.server.localAddress!.port);
    expect(await p.server.recv(1, { timeout: 0 })).toMatchObject({ ok: false, code: 'EAGAIN' });
    p.capture.close();
    p.close();
  });

  it('refuses a payload past 1024 bytes and a socket without a peer (no `from`): the errno as data', async () => {
    const p = await connected(host);
    expect(() => forge(p.server, { flags: 'P.', seq: 1, data: new Uint8Array(1025) })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(forge(p.listener, { flags: 'R', seq: 1 })).toMatchObject({ ok: false, code: 'ENOTCONN', syscall: 'getpeername' });
    p.capture.close();
    p.close();
  });
});

describe('forge refuses bad input before anything is sent', () => {
  it.each([
    [{ flags: 'R', seq: 2 ** 32 }, 'ERR_OUT_OF_RANGE'],
    [{ flags: 'R', seq: 1.5 }, 'ERR_OUT_OF_RANGE'],
    [{ flags: 'R' }, 'ERR_INVALID_ARG_TYPE'],
    [{ flags: 'Z', seq: 1 }, 'ERR_INVALID_ARG_VALUE'],
    [{ flags: 'R', seq: 1, window: 70000 }, 'ERR_OUT_OF_RANGE'],
    [{ flags: 'R', seq: 1, data: 5 }, 'ERR_INVALID_ARG_TYPE'],
    [null, 'ERR_INVALID_ARG_TYPE'],
  ])('%j → %s', (segment, code) => {
    const socket = RawSocket.create(4);
    expect(() => forge(socket, segment as never)).toThrow(expect.objectContaining({ code }));
    socket.close();
  });

  it('only to a RawSocket, only from a RawSocket', () => {
    const socket = RawSocket.create(4);
    expect(() => forge({} as never, { flags: 'R', seq: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => forge(socket, { flags: 'R', seq: 1 }, { from: 3 as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    socket.close();
  });

  it('the addon takes only fds it owns, and checks every number', () => {
    const socket = RawSocket.create(4);
    const fd = fdOf(socket);
    const send =
      (...args: unknown[]) =>
      () =>
        (native.forge.send as (...a: unknown[]) => unknown)(...args);
    expect(send(0, -1, 4, 1, 0, 0, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(send(fd, 0, 4, 1, 0, 0, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(send(fd, -1, 256, 1, 0, 0, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(send(fd, -1, 4, -1, 0, 0, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(send(fd, -1, 4, 1, 2 ** 32, 0, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(send(fd, -1, 4, 1, 0, 65536, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(send(fd, -1, 4, 1, 0, 0, new Uint8Array(1025))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(send(fd, -1, 4, 1, 0, 0, 'x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    // Unconnected: no peer to take the source from. The kernel's answer, as data.
    expect((native.forge.send as (...a: unknown[]) => unknown)(fd, -1, 4, 1, 0, 0, new Uint8Array(0))).toEqual([
      107,
      'getpeername',
    ]);
    socket.close();
  });
});

describe.skipIf(probe.ok)('without CAP_NET_RAW', () => {
  it("the probe says what is missing; forge returns the kernel's EPERM as data", async () => {
    expect(probe).toMatchObject({ ok: false, code: 'EPERM', reason: expect.stringContaining('CAP_NET_RAW') });
    const listened = await RawSocket.listen({ host: '127.0.0.1' });
    if (!listened.ok) throw new Error(listened.code);
    const c = await RawSocket.connect({ host: '127.0.0.1', port: listened.socket.localAddress!.port });
    if (!c.ok) throw new Error(c.code);
    expect(forge(c.socket, { flags: 'R', seq: 1 })).toEqual({ ok: false, errno: -1, code: 'EPERM', syscall: 'socket' });
    c.socket.close();
    listened.socket.close();
  });
});

describe('forgedHeader: the numbers a forged segment becomes, before any socket', () => {
  const codeAndMessage = (fn: () => unknown) => `${caught(fn).code}: ${messageOf(fn)}`;
  const max = native.forge.constants.MAX_PAYLOAD;

  it('flag letters to bits; a window of 65535 unless RST (0); ack 0 and no payload unless given', () => {
    expect(forgedHeader({ flags: 'S.', seq: 7 })).toEqual({
      flagBits: 0x12,
      seq: 7,
      ack: 0,
      window: 65535,
      payload: new Uint8Array(0),
    });
    expect(forgedHeader({ flags: 'R', seq: 2 ** 32 - 1 })).toEqual({
      flagBits: 0x04,
      seq: 2 ** 32 - 1,
      ack: 0,
      window: 0,
      payload: new Uint8Array(0),
    });
    expect(forgedHeader({ flags: 'R.', seq: 0, ack: 2 ** 32 - 1, window: 65535 })).toMatchObject({
      flagBits: 0x14,
      ack: 2 ** 32 - 1,
      window: 65535,
    });
    expect([...forgedHeader({ flags: 'P.', seq: 1, window: 0, data: 'hé' }).payload]).toEqual([0x68, 0xc3, 0xa9]);
    const bytes = new Uint8Array(max);
    expect(forgedHeader({ flags: 'P.', seq: 1, data: bytes }).payload).toBe(bytes);
    expect(forgedHeader({ flags: 'FSRP.UEW', seq: 1 }).flagBits).toBe(0xff);
  });

  it('each refusal names the field, under the name the caller gave the segment', () => {
    expect(codeAndMessage(() => forgedHeader('x' as never, 'step.segment'))).toBe(
      `ERR_INVALID_ARG_TYPE: The "step.segment" argument must be of type object. Received type string ('x')`,
    );
    expect(codeAndMessage(() => forgedHeader({ seq: 1 } as never))).toBe(
      'ERR_INVALID_ARG_TYPE: The "segment.flags" argument must be of type string. Received undefined',
    );
    for (const flags of ['', 'Z', 'RZ']) {
      expect(codeAndMessage(() => forgedHeader({ flags, seq: 1 }))).toBe(
        `ERR_INVALID_ARG_VALUE: The argument 'segment.flags' must be tcpdump's flag letters (S F R P . U E W). Received type string ('${flags}')`,
      );
    }
    expect(codeAndMessage(() => forgedHeader({ flags: 'R', seq: 2 ** 32 }))).toBe(
      'ERR_OUT_OF_RANGE: The value of "segment.seq" is out of range. It must be an integer >= 0 and <= 4294967295. Received 4294967296',
    );
    expect(codeAndMessage(() => forgedHeader({ flags: 'R', seq: 0, ack: -1 }))).toBe(
      'ERR_OUT_OF_RANGE: The value of "segment.ack" is out of range. It must be an integer >= 0 and <= 4294967295. Received -1',
    );
    expect(codeAndMessage(() => forgedHeader({ flags: 'R', seq: 0, window: 65536 }))).toBe(
      'ERR_OUT_OF_RANGE: The value of "segment.window" is out of range. It must be an integer >= 0 and <= 65535. Received 65536',
    );
    expect(codeAndMessage(() => forgedHeader({ flags: 'R', seq: 0, data: 5 as never }))).toBe(
      'ERR_INVALID_ARG_TYPE: The "segment.data" argument must be a string or an instance of Uint8Array. Received type number (5)',
    );
    expect(codeAndMessage(() => forgedHeader({ flags: 'P', seq: 0, data: new Uint8Array(max + 1) }))).toBe(
      `ERR_INVALID_ARG_VALUE: The argument 'segment.data' must be at most ${max} bytes. Received type number (${max + 1})`,
    );
  });

  it('forge names its own arguments', () => {
    const socket = RawSocket.create(4);
    try {
      expect(codeAndMessage(() => forge({} as never, { flags: 'R', seq: 1 }))).toBe(
        'ERR_INVALID_ARG_TYPE: The "to" argument must be an instance of RawSocket. Received an instance of Object',
      );
      expect(codeAndMessage(() => forge(socket, { flags: 'R', seq: 1 }, { from: 3 as never }))).toBe(
        'ERR_INVALID_ARG_TYPE: The "options.from" argument must be an instance of RawSocket. Received type number (3)',
      );
      expect(codeAndMessage(() => forge(socket, { flags: 'R', seq: 1 }, null as never))).toBe(
        'ERR_INVALID_ARG_TYPE: The "options" argument must be of type object. Received null',
      );
    } finally {
      socket.close();
    }
  });
});
