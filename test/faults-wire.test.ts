// Fault fixtures with `capture: true` (src/faults/wire.ts): each connection's record carries its
// segments, and sockctl/testing's matchers assert them — that a fixture really reset the client,
// or that the server under test really reset a fault client.
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { canCapture, faultClient, faultServer, type FaultClient, type FaultServer } from '../src/index.js';
import { expectReceived, expectSent, sockctlMatchers } from '../src/testing.js';
import { HOSTS, packetSockets, until } from './helpers.js';
import { attachWire } from '../src/faults/wire.js';
import type { Capture } from '../src/raw/capture.js';

expect.extend(sockctlMatchers);
declare module 'vitest' {
  interface Assertion {
    toHaveSent(flags: string, count?: number): void;
    toHaveReceived(flags: string, count?: number): void;
  }
}

const probe = canCapture();
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;

const open: Array<FaultServer | FaultClient | net.Server> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    if (o instanceof net.Server) await new Promise((resolve) => o.close(resolve));
    else await o.close();
  }
});

describe.skipIf(!probe.ok).each(HOSTS)(`fixtures with capture: true on %s${skipReason}`, (host) => {
  it("faultServer: 'read:1' then 'close' leaves bytes unread — the record shows the RST and no FIN", async () => {
    const server = await faultServer({ host, onConnection: ['read:1', 'close'], capture: true });
    open.push(server);
    const client = net.connect(server.port, host);
    client.on('error', () => {});
    const closed = new Promise((resolve) => client.on('close', resolve));
    client.write('hello');
    const [record] = await server.settled(1);
    await closed;
    expect(record.wire?.self).toBe('server');
    expect(record.wire?.segments.map((s) => `${s.from} ${s.flags}`)).toEqual([
      'client S',
      'server S.',
      'client .',
      'client P.',
      'server .',
      'server R.',
    ]);
    expect(record).toHaveSent('R');
    expect(record).not.toHaveSent('F');
    expect(record).toHaveReceived('S', 1);
    expect(() => expectSent(record, 'F')).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }));
    // The record is data: JSON keeps the segments.
    expect(JSON.parse(JSON.stringify(record)).wire.segments).toHaveLength(6);
    // close() closes the server's capture: its packet socket goes (200 ms after the last capture).
    await server.close();
    await until(() => packetSockets() === 0, 2000);
  });

  it('faultClient: the server under test resets the connection — the client received the RST', async () => {
    const target = net.createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    open.push(target);
    target.listen(0, host);
    await once(target, 'listening');
    const client = await faultClient(target, [{ do: 'send', data: 'x' }, 'read:1'], { capture: true });
    open.push(client);
    const record = await client.done;
    expect(record.steps.map((s) => s.result)).toEqual(['ok', 'ECONNRESET']);
    expect(record.wire?.segments[0]).toMatchObject({ from: 'client', flags: 'S', seq: 0 });
    expect(client).toHaveReceived('R');
    expect(client).not.toHaveSent('R');
    expectReceived(record, 'R', 1);
  });
});

describe.skipIf(!probe.ok)(`a capturing faultClient's end${skipReason}`, () => {
  it("waits for the connection's last segments, then closes its capture: no packet socket is left", async () => {
    // The server answers the client's FIN with its own; the client's last ACK follows.
    const target = net.createServer(() => {});
    open.push(target);
    target.listen(0, '127.0.0.1');
    await once(target, 'listening');
    const client = await faultClient(target, ['fin', 'read:1'], { capture: true });
    open.push(client);
    const record = await client.done;
    expect(record.steps.map((s) => s.result)).toEqual(['ok', 'EOF']);
    // The packet socket closes 200 ms after the last capture is closed.
    await until(() => packetSockets() === 0, 2000);
    const flags = record.wire!.segments.map((s) => `${s.from} ${s.flags}`);
    expect(flags.slice(0, 3)).toEqual(['client S', 'server S.', 'client .']);
    expect(flags).toContain('client F.');
    expect(flags).toContain('server F.');
    expect(flags[flags.length - 1]).toBe('client .');
  });
});

describe('attachWire over given segments', () => {
  it("keeps the segments between the connection's two ports only, names the ends, and passes dropped on", () => {
    const seg = (from: number, to: number, at: number, flags = '.') => ({
      at,
      family: 4,
      source: { address: '127.0.0.1', port: from },
      destination: { address: '127.0.0.1', port: to },
      seq: 0,
      ack: 0,
      flags,
      flagBits: 0x10,
      window: 1,
      length: 0,
      options: {},
    });
    const capture = {
      segments: [
        seg(5000, 40000, 10, 'S'),
        seg(40000, 5000, 11, 'S.'),
        seg(5000, 40001, 12), // another connection to the same listener
        seg(6000, 40000, 13), // another listener, the same client port
        seg(40000, 5001, 13), // from this connection's local port to another
        seg(40001, 5000, 13), // to this connection's remote port from another
        seg(5000, 40000, 14, 'R'),
      ],
      dropped: 3,
    } as unknown as Capture;
    const record: { wire?: { self: string; segments: Array<{ from: string; flags: string; atMs: number }>; dropped: number } } =
      {};
    attachWire(record as never, capture, 'server', 40000, 5000, 10);
    expect(record.wire!.self).toBe('server');
    expect(record.wire!.segments.map((s) => `${s.from} ${s.flags} ${s.atMs}`)).toEqual([
      'client S 0',
      'server S. 1',
      'client R 4',
    ]);
    expect(record.wire!.dropped).toBe(3);
    // Data: JSON keeps both.
    expect(Object.keys(JSON.parse(JSON.stringify(record.wire)))).toEqual(['self', 'segments', 'dropped']);
  });
});

describe('the wire matchers', () => {
  it('fail with a message that says how to get a wire record when there is none', () => {
    const result = sockctlMatchers.toHaveSent({ index: 0 }, 'R');
    expect(result.pass).toBe(false);
    expect(result.message()).toContain('capture: true');
  });

  it('refuse flags that are not tcpdump letters, and bad counts, with coded errors', () => {
    const wire = { self: 'server', segments: [] };
    expect(() => sockctlMatchers.toHaveSent({ wire }, 'X')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => sockctlMatchers.toHaveSent({ wire }, 5 as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => sockctlMatchers.toHaveSent({ wire }, 'R', -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe.skipIf(probe.ok)('capture: true without CAP_NET_RAW', () => {
  it('is refused up front with the probe code and what is missing', async () => {
    await expect(faultServer({ onConnection: ['reset'], capture: true })).rejects.toMatchObject({
      code: 'EPERM',
      missing: 'CAP_NET_RAW',
      option: 'AF_PACKET',
    });
    await expect(faultClient('http://127.0.0.1:1/', ['reset'], { capture: true })).rejects.toMatchObject({
      code: 'EPERM',
      missing: 'CAP_NET_RAW',
    });
  });
});

describe('capture option values', () => {
  it('must be a boolean', async () => {
    await expect(faultServer({ onConnection: ['reset'], capture: 'yes' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
    });
    await expect(faultClient('http://127.0.0.1:1/', ['reset'], { capture: 1 as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
    });
  });
});
