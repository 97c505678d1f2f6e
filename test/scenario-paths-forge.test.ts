// Forge steps (src/scenario/actions/forge.ts) where they do not send: an end without a peer or
// a closed source, a capture that has seen nothing of the connection, a run without capture; and
// the sequence number they take from the capture (nextExpected) checked against the kernel's
// own acknowledgements, after data, after a FIN and after earlier forged segments.
import { describe, expect, it } from 'vitest';
import { Capture, canCapture } from '../src/raw/capture.js';
import { canForge } from '../src/raw/forge.js';
import { RawSocket } from '../src/raw/raw-socket.js';
import { nextExpected } from '../src/scenario/actions/forge.js';
import { End, scenario } from '../src/scenario/scenario.js';
import type { Context } from '../src/scenario/types.js';

const capture = canCapture();
const forge = canForge();
const privileged = capture.ok && forge.ok;
const skip = privileged ? '' : ` (skipped: ${capture.ok ? forge.reason : capture.reason})`;

const ACK = 0x10;

/** A connected pair on 127.0.0.1, its listener, and a way to close all three. */
async function pair() {
  const listening = await RawSocket.listen({ host: '127.0.0.1', port: 0 });
  if (!listening.ok) throw new Error(`listen ${listening.code}`);
  const listener = listening.socket;
  const port = listener.localAddress!.port;
  const client = RawSocket.create(4);
  const ends = { listener, client, server: undefined as RawSocket | undefined };
  return {
    ends,
    port,
    async connect() {
      const connected = await client.connect('127.0.0.1', port, { timeout: 3000 });
      if (!connected.ok) throw new Error(`connect ${connected.code}`);
      const accepted = await listener.accept({ timeout: 3000 });
      if (!accepted.ok) throw new Error(`accept ${accepted.code}`);
      ends.server = accepted.socket;
    },
    close() {
      for (const s of [client, ends.server, listener]) if (s && !s.closed) s.close();
    },
  };
}

/** Waits (bounded: 1 s) until `capture` holds a segment matching `match`. */
async function seen(c: Capture, match: (s: Capture['segments'][number]) => boolean): Promise<void> {
  const deadline = Date.now() + 1000;
  while (!c.segments.some(match) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe.skipIf(!privileged)(`forge steps that do not send${skip}`, () => {
  it('an end without a peer answers ENOTCONN; a closed source end answers EINVAL', async () => {
    const result = await scenario(
      'nothing to forge to',
      ({ client, listener }) => [
        client.forgeReset('next').expect('ENOTCONN'),
        client.forgeSyn().expect('ENOTCONN'),
        client.close().expect('ok'),
        listener.forge({ flags: 'S', seq: 1, from: 'client' }).expect('EINVAL'),
      ],
      { setup: 'listening' },
    ).run();
    expect(result.verdict, result.reason).toBe('pass');
    expect(result.steps.map((s) => s.syscall)).toEqual(['getpeername', 'getpeername', 'close', 'getpeername']);
    // Nothing was forged: no dashed segment anywhere.
    expect(result.steps.flatMap((s) => s.segments ?? []).filter((s) => s.forged)).toEqual([]);
  });

  it('with a capture that has seen none of the connection, forgeReset and forgeSyn say so and send nothing', async () => {
    const p = await pair();
    let late: Capture | undefined;
    try {
      await p.connect();
      // Opened after the handshake: it has seen nothing this connection sent.
      late = Capture.open(p.ends.listener);
      const ctx: Context = { ends: { ...p.ends }, family: 4, host: '127.0.0.1', port: p.port, capture: late };
      for (const step of [new End('server').forgeReset('next'), new End('client').forgeSyn()]) {
        expect(await step.action(ctx, step)).toStrictEqual({
          syscall: 'forge',
          outcome: 'no segment seen to take the sequence number from',
        });
      }
      await late.settle();
      expect(late.segments).toEqual([]);
      // Nothing reached the server: the connection is untouched.
      expect(await p.ends.server!.recv(1, { timeout: 0 })).toMatchObject({ ok: false, code: 'EAGAIN' });
    } finally {
      late?.close();
      p.close();
    }
  });

  it('run by hand without a capture, a forge step throws', async () => {
    const p = await pair();
    try {
      await p.connect();
      const step = new End('server').forgeReset('next');
      const ctx: Context = { ends: { ...p.ends }, family: 4, host: '127.0.0.1', port: p.port };
      await expect(Promise.resolve().then(() => step.action(ctx, step))).rejects.toThrow(/\S/);
    } finally {
      p.close();
    }
  });
});

describe('nextExpected over given segments', () => {
  type Seen = { forged?: boolean; from: number; to: number; seq: number; length?: number; flagBits?: number };
  const over = (segments: Seen[]) =>
    ({
      segments: segments.map((s) => ({
        forged: s.forged,
        source: { address: '127.0.0.1', port: s.from },
        destination: { address: '127.0.0.1', port: s.to },
        seq: s.seq,
        length: s.length ?? 0,
        flagBits: s.flagBits ?? ACK,
      })),
    }) as unknown as Capture;

  it('reads only the segments from `from` to `to` that a kernel sent, never the forged ones', () => {
    const capture = over([
      { from: 1000, to: 2000, seq: 100, flagBits: 0x02 }, // SYN: counts one
      { from: 1000, to: 2000, seq: 101, length: 10 },
      { from: 1000, to: 2000, seq: 5000, length: 10, flagBits: 0x04, forged: true }, // ours
      { from: 1000, to: 3000, seq: 9000, length: 10 }, // another destination
      { from: 4000, to: 2000, seq: 9000, length: 10 }, // another source
    ]);
    expect(nextExpected(capture, 1000, 2000)).toBe(111);
    expect(nextExpected(capture, 1000, 3000)).toBe(9010);
    expect(nextExpected(capture, 4000, 2000)).toBe(9010);
    expect(nextExpected(capture, 2000, 1000)).toBeUndefined();
  });

  it('counts the FIN, keeps the furthest end when segments come out of order, and wraps past 2^32', () => {
    const capture = over([
      { from: 1, to: 2, seq: 0xfffffffa, length: 4 },
      { from: 1, to: 2, seq: 0xfffffffe, length: 4, flagBits: 0x11 }, // FIN: ends at 3 (wrapped)
      { from: 1, to: 2, seq: 0xfffffffa, length: 2 }, // a retransmission of the start
    ]);
    expect(nextExpected(capture, 1, 2)).toBe(3);
  });
});

describe.skipIf(!privileged)(`nextExpected: the number the kernel itself acknowledges${skip}`, () => {
  it('counts the SYN, the data and the FIN; undefined before anything was seen', async () => {
    const p = await pair();
    const c = Capture.open(p.ends.listener);
    try {
      const clientPort = () => p.ends.client.localAddress!.port;
      expect(nextExpected(c, 40000, p.port)).toBeUndefined();
      await p.connect();
      expect((await p.ends.client.send('abc')).ok).toBe(true);
      expect(p.ends.client.shutdown('write').ok).toBe(true);
      expect(await p.ends.server!.recv(10, { timeout: 3000 })).toMatchObject({ ok: true, bytes: 3 });
      expect(await p.ends.server!.recv(10, { timeout: 3000 })).toMatchObject({ ok: true, bytes: 0 }); // the FIN
      const fromServer = (s: Capture['segments'][number]) => s.source.port === p.port && s.destination.port === clientPort();
      const syn = c.segments.find((s) => s.flagBits === 0x02)!;
      // The server's ACK of the FIN: ISN + SYN + 3 bytes + FIN.
      await seen(c, (s) => fromServer(s) && s.ack === (syn.seq + 5) >>> 0);
      const lastAck = c.segments.filter((s) => fromServer(s) && s.flagBits & ACK).at(-1)!;
      expect(lastAck.ack).toBe((syn.seq + 5) >>> 0);
      expect(nextExpected(c, clientPort(), p.port)).toBe(lastAck.ack);
      // The other direction: the server's SYN-ACK only.
      const synAck = c.segments.find((s) => s.flagBits === 0x12)!;
      expect(nextExpected(c, p.port, clientPort())).toBe((synAck.seq + 1) >>> 0);
    } finally {
      c.close();
      p.close();
    }
  });

  it('from a pure ACK alone (capture opened late): the ACK’s own sequence number', async () => {
    const p = await pair();
    let c: Capture | undefined;
    try {
      await p.connect();
      c = Capture.open(p.ends.listener);
      expect((await p.ends.server!.send('x')).ok).toBe(true);
      expect(await p.ends.client.recv(1, { timeout: 3000 })).toMatchObject({ ok: true, bytes: 1 });
      const clientPort = p.ends.client.localAddress!.port;
      const fromClient = (s: Capture['segments'][number]) => s.source.port === clientPort && s.destination.port === p.port;
      await seen(c, fromClient); // the client's ACK of the byte (delayed ACK: at most ~200 ms)
      const data = c.segments.find((s) => s.source.port === p.port && s.length === 1)!;
      const acks = c.segments.filter(fromClient);
      expect(acks.length).toBeGreaterThan(0);
      expect(acks.every((s) => s.length === 0 && s.flagBits === ACK)).toBe(true);
      expect(nextExpected(c, clientPort, p.port)).toBe(data.ack);
      expect(acks[0].seq).toBe(data.ack);
    } finally {
      c?.close();
      p.close();
    }
  });

  it('a forged RST at "next" after the peer’s FIN resets the CLOSE_WAIT end: the send after it fails EPIPE', async () => {
    const result = await scenario('reset after FIN', ({ client, server }) => [
      client.shutdown('write').expect('ok'),
      server.recv(1).expect('EOF'),
      server.forgeReset('next').expect('ok'),
      server.waitState('CLOSE', 2000).expect('ok'),
      // In CLOSE_WAIT the kernel records a received RST as EPIPE (tcp_reset).
      server.send('x').expect('EPIPE'),
    ]).run();
    expect(result.verdict, result.reason).toBe('pass');
    expect(result.steps[1].states.server).toBe('CLOSE_WAIT');
    const forged = result.steps[2].segments!.filter((s) => s.forged);
    // Relative to the client's SYN: SYN (1) + FIN (1).
    expect(forged.map((s) => [s.from, s.flags, s.seq])).toEqual([['client', 'R', 2]]);
  });

  it('forged segments never count: two in-window RSTs carry the same number and the connection lives', async () => {
    const result = await scenario('two in-window', ({ client, server }) => [
      client.send('ab').expect('ok'),
      server.recv(2).expect('ok'),
      server.forgeReset('in-window').expect('ok'),
      server.forgeReset('in-window').expect('ok'),
      server.recv(1, { timeout: 0 }).expect('EAGAIN'),
      client.send('cd').expect('ok'),
      server.recv(2).expect('ok'),
    ]).run();
    expect(result.verdict, result.reason).toBe('pass');
    const forged = result.steps.flatMap((s) => s.segments ?? []).filter((s) => s.forged);
    // Next expected after SYN + 2 bytes is 3; one past it is 4, both times.
    expect(forged.map((s) => [s.from, s.flags, s.seq])).toEqual([
      ['client', 'R', 4],
      ['client', 'R', 4],
    ]);
  });
});
