// The paths of one fault-server connection that end it: a step that times out, a peer that
// resets mid-step, a request that cannot be framed, a limitData cut while holding, the hold
// timeout, a fixture closed under a waiting step. Each asserts what the client's kernel reported
// and what the record says (steps, end, bytes).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { canBlackhole, faultServer, RawSocket, type FaultServer } from '../src/index.js';
import { READ_CHUNK } from '../src/faults/connection.js';
import { MALFORMED_CHUNK_RESPONSE, randomData } from '../src/faults/http.js';
import { unitRandom } from '../src/faults/toxics.js';
import { until } from './helpers.js';
import { connect, keeper, outcome } from './faults-helpers.js';

const filters = canBlackhole();
const noFilters = filters.ok ? '' : ` (skipped: ${filters.code}: ${filters.reason})`;

/** A connected RawSocket client of `server`, aborted when the test finishes. */
async function rawClient(server: FaultServer, context: { onTestFinished(fn: () => void): void }): Promise<RawSocket> {
  const connected = await RawSocket.connect({ host: server.address, port: server.port, timeout: 5_000 });
  if (!connected.ok) throw new Error(`connect ${connected.code}`);
  const socket = connected.socket;
  context.onTestFinished(() => {
    if (!socket.closed) socket.abort();
  });
  return socket;
}

/** What `socket` receives until an error or end of stream: the bytes and how it ended. */
async function drain(socket: RawSocket, ms = 5_000): Promise<{ data: string; end: string }> {
  const chunks: Buffer[] = [];
  const deadline = performance.now() + ms;
  for (let i = 0; i < 10_000; i++) {
    const r = await socket.recv(65_536, { timeout: Math.max(1, Math.ceil(deadline - performance.now())) });
    if (!r.ok) return { data: Buffer.concat(chunks).toString('latin1'), end: r.timedOut ? 'timeout' : r.code };
    if (r.bytes === 0) return { data: Buffer.concat(chunks).toString('latin1'), end: 'EOF' };
    chunks.push(r.data);
  }
  throw new Error('drain: too many reads');
}

describe('the hold after the last step', () => {
  it('a silent peer: reset after holdTimeout (end reset, the client reads ECONNRESET)', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: [], holdTimeout: 300 }));
    const client = keep(await connect(server.port, server.address));
    const start = performance.now();
    expect((await outcome(client)).end).toBe('ECONNRESET');
    expect(performance.now() - start).toBeGreaterThanOrEqual(280);
    const [record] = await server.settled(1);
    expect(record).toMatchObject({ steps: [], end: 'reset', bytesReceived: 0 });
  });

  it('a peer that keeps sending: the hold still ends at its deadline, with a reset', async (context) => {
    const keep = keeper(context);
    // holdTimeout 1 ms while megabytes are queued: the deadline passes between reads that each return data.
    const server = keep(await faultServer({ onConnection: ['read:1'], holdTimeout: 1, recordBytes: 16 }));
    const client = keep(await connect(server.port, server.address));
    const seen = outcome(client);
    client.write(Buffer.alloc(32 * 1024 * 1024, 'h'));
    expect(['ECONNRESET', 'EPIPE']).toContain((await seen).end);
    const [record] = await server.settled(1);
    expect(record.end).toBe('reset');
    expect(record.steps).toEqual([expect.objectContaining({ result: 'ok', bytes: 1 })]);
    expect(record.bytesReceived).toBeGreaterThan(1);
    expect(record.bytesReceived).toBeLessThan(32 * 1024 * 1024);
    expect(record.received.toString()).toBe('h'.repeat(16));
  });

  it.for(['reset', 'fin'] as const)(
    "limitData (upstream, then '%s') cuts while holding: the client reads what that says",
    async (then, context) => {
      const keep = keeper(context);
      const server = keep(
        await faultServer({
          onConnection: [],
          toxics: [
            { type: 'limitData', stream: 'upstream', bytes: 5, then },
            { type: 'slowClose', delay: 300 },
          ],
        }),
      );
      const client = keep(await connect(server.port, server.address));
      const seen = outcome(client);
      const start = performance.now();
      client.write('12345');
      const { end } = await seen;
      const ms = performance.now() - start;
      const [record] = await server.settled(1);
      expect(record.bytesReceived).toBe(5);
      expect(record.received.toString()).toBe('12345');
      expect(record.toxics).toContainEqual(expect.objectContaining({ type: 'limitData', action: 'cut', bytes: 5 }));
      if (then === 'reset') {
        // RST at once: no slow close.
        expect(end).toBe('ECONNRESET');
        expect(record.end).toBe('reset');
        expect(record.toxics.some((e) => e.action === 'slow-close')).toBe(false);
      } else {
        // A FIN, held by slowClose.
        expect(end).toBe('end');
        expect(record.end).toBe('close');
        expect(ms).toBeGreaterThanOrEqual(280);
        expect(record.toxics).toContainEqual(
          expect.objectContaining({ type: 'slowClose', action: 'slow-close', plannedMs: 300 }),
        );
      }
    },
  );
});

describe('a connection a toxic ends', () => {
  it('resetPeer: RST at its timeout, the record ends reset and says so', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['wait:10000'], toxics: [{ type: 'resetPeer', timeout: 40 }] }));
    const client = keep(await connect(server.port, server.address));
    expect((await outcome(client)).end).toBe('ECONNRESET');
    const [record] = await server.settled(1);
    expect(record.end).toBe('reset');
    expect(record.toxics).toEqual([expect.objectContaining({ type: 'resetPeer', action: 'reset' })]);
  });

  it.skipIf(!filters.ok)(`timeout: silence, then a close at its timeout; the record ends close${noFilters}`, async (context) => {
    const keep = keeper(context);
    const server = keep(
      await faultServer({ onConnection: ['wait:10000'], toxics: [{ type: 'timeout', stream: 'upstream', timeout: 40 }] }),
    );
    const client = keep(await connect(server.port, server.address));
    expect((await outcome(client)).end).toBe('end');
    const [record] = await server.settled(1);
    expect(record.end).toBe('close');
    expect(record.toxics.map((e) => e.action)).toEqual(['silence', 'close']);
  });

  it('slowClose holds the FIN for its delay and records how long; a delay of 0 holds nothing and records nothing', async (context) => {
    const keep = keeper(context);
    const held = keep(await faultServer({ onConnection: ['close'], toxics: [{ type: 'slowClose', delay: 60 }] }));
    const start = performance.now();
    expect((await outcome(keep(await connect(held.port, held.address)))).end).toBe('end');
    const took = performance.now() - start;
    const [record] = await held.settled(1);
    const event = record.toxics.find((e) => e.action === 'slow-close')!;
    expect(event).toMatchObject({ type: 'slowClose', plannedMs: 60 });
    expect(event.delayMs).toBeGreaterThanOrEqual(55);
    expect(event.delayMs).toBeLessThanOrEqual(took + 1);
    const zero = keep(await faultServer({ onConnection: ['close'], toxics: [{ type: 'slowClose', delay: 0 }] }));
    expect((await outcome(keep(await connect(zero.port, zero.address)))).end).toBe('end');
    const [unheld] = await zero.settled(1);
    expect(unheld.toxics).toEqual([]);
    expect(unheld.end).toBe('close');
  });
});

describe('the record', () => {
  it("times each step and the connection on the fixture's clock; a peer's FIN while holding is answered after slowClose", async (context) => {
    const keep = keeper(context);
    const started = performance.now();
    const server = keep(await faultServer({ onConnection: ['wait:40', 'read:2'], toxics: [{ type: 'slowClose', delay: 50 }] }));
    const client = keep(await connect(server.port, server.address));
    const seen = outcome(client);
    client.write('hi');
    await until(() => server.connections[0]?.steps.length === 2);
    const finAt = performance.now();
    client.end();
    expect((await seen).end).toBe('end');
    const heldFor = performance.now() - finAt;
    const elapsed = performance.now() - started;
    const [record] = await server.settled(1);
    expect(record.end).toBe('peer-eof');
    expect(record.steps.map((s) => `${s.step.do} ${s.result}`)).toEqual(['wait ok', 'read ok']);
    expect(record.steps[0].durationMs).toBeGreaterThanOrEqual(39);
    expect(record.steps[0].durationMs).toBeLessThanOrEqual(elapsed);
    expect(record.steps[1].durationMs).toBeLessThanOrEqual(elapsed);
    expect(record.openedAt).toBeGreaterThanOrEqual(0);
    expect(record.closedAt!).toBeGreaterThanOrEqual(record.openedAt + 40 + 50 - 1);
    expect(record.closedAt!).toBeLessThanOrEqual(elapsed + 1);
    expect(heldFor).toBeGreaterThanOrEqual(45);
    expect(record.toxics).toEqual([expect.objectContaining({ type: 'slowClose', action: 'slow-close', plannedMs: 50 })]);
  });
});

describe('steps that wait', () => {
  it("'read:10' with 3 bytes sent: timeout after stepTimeout, RST, 3 bytes recorded", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read:10', 'close'], stepTimeout: 200 }));
    const client = keep(await connect(server.port, server.address));
    const seen = outcome(client);
    client.write('abc');
    expect((await seen).end).toBe('ECONNRESET');
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([expect.objectContaining({ step: { do: 'read', bytes: 10 }, result: 'timeout', bytes: 3 })]);
    expect(record).toMatchObject({ end: 'reset', bytesReceived: 3 });
  });

  it("'read:10' meeting the client's FIN after 3 bytes: EOF with 3 bytes, end peer-eof, answered with a FIN", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read:10', 'close'] }));
    const client = await rawClient(server, context);
    await client.send('abc');
    expect(client.shutdown('write').ok).toBe(true);
    expect(await drain(client)).toEqual({ data: '', end: 'EOF' });
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([expect.objectContaining({ step: { do: 'read', bytes: 10 }, result: 'EOF', bytes: 3 })]);
    expect(record).toMatchObject({ end: 'peer-eof', bytesReceived: 3 });
  });

  it("a request cut by the client's FIN: 'EOF' with the bytes of it read, end peer-eof", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['respond:200'] }));
    const client = await rawClient(server, context);
    await client.send('GET / HTTP/1.1\r\nhost');
    expect(client.shutdown('write').ok).toBe(true);
    expect(await drain(client)).toEqual({ data: '', end: 'EOF' });
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([expect.objectContaining({ step: { do: 'respond', status: 200 }, result: 'EOF', bytes: 20 })]);
    expect(record.end).toBe('peer-eof');
  });

  it("'read:4' twice over bytes that arrive 2 then 6: each reads exactly 4, the rest waits for the next", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read:4', 'read:4', 'close'] }));
    const client = await rawClient(server, context);
    await client.send('ab');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.send('cdefgh');
    expect(await drain(client)).toEqual({ data: '', end: 'EOF' });
    const [record] = await server.settled(1);
    expect(record.steps.map((s) => [s.step.do, s.result, s.bytes])).toEqual([
      ['read', 'ok', 4],
      ['read', 'ok', 4],
      ['close', 'ok', undefined],
    ]);
    // A step without bytes or a fault has no such fields at all.
    expect(record.steps[2]).not.toHaveProperty('bytes');
    expect(record.steps[2]).not.toHaveProperty('fault');
    expect(record.received.toString()).toBe('abcdefgh');
  });

  it("'close-unread' with nothing sent: timeout after stepTimeout, RST", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['close-unread'], stepTimeout: 200 }));
    const client = keep(await connect(server.port, server.address));
    expect((await outcome(client)).end).toBe('ECONNRESET');
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([expect.objectContaining({ step: { do: 'close-unread' }, result: 'timeout' })]);
    expect(record.end).toBe('reset');
  });

  it('a send the client never reads: timeout after stepTimeout, RST, the bytes that went recorded', async (context) => {
    const size = 32 * 1024 * 1024;
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: [{ do: 'send', data: Buffer.alloc(size, 's') }], stepTimeout: 300 }));
    const client = await rawClient(server, context);
    const [record] = await server.settled(1, { timeout: 10_000 });
    const [step] = record.steps;
    expect(step).toMatchObject({ result: 'timeout' });
    expect(step.bytes).toBeGreaterThan(0);
    expect(step.bytes).toBeLessThan(size);
    expect(record).toMatchObject({ end: 'reset', bytesSent: step.bytes });
    // The client's kernel holds some of those bytes, then the RST.
    const { data, end } = await drain(client);
    expect(end).toBe('ECONNRESET');
    expect(data.length).toBeLessThanOrEqual(step.bytes!);
  });

  it('a send the client resets under: the step fails with the kernel code, end peer-reset', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: [{ do: 'send', data: Buffer.alloc(32 * 1024 * 1024) }] }));
    const client = await rawClient(server, context);
    await server.settled(1, { finished: false });
    await until(() => server.connections[0].bytesSent > 0, 5_000);
    client.abort();
    const [record] = await server.settled(1);
    expect(record.end).toBe('peer-reset');
    expect(['ECONNRESET', 'EPIPE']).toContain(record.steps[0].result);
    expect(record.steps[0].bytes).toBe(record.bytesSent);
  });

  it("'fin' after the client reset: shutdown fails ENOTCONN, end error", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['wait:300', 'fin'] }));
    const client = await rawClient(server, context);
    await server.settled(1, { finished: false });
    client.abort();
    const [record] = await server.settled(1);
    expect(record.steps.map((s) => [s.step.do, s.result])).toEqual([
      ['wait', 'ok'],
      ['fin', 'ENOTCONN'],
    ]);
    expect(record.end).toBe('error');
    expect(record.errors).toEqual([]);
  });
});

describe('HTTP requests', () => {
  it('bytes past a request are read ahead and serve the next read step', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read-request', 'read:5', 'reset'] }));
    const client = await rawClient(server, context);
    const request = 'GET /a HTTP/1.1\r\nhost: x\r\n\r\n';
    await client.send(`${request}HELLO`);
    const [record] = await server.settled(1);
    expect(record.steps.map((s) => [s.step.do, s.result, s.bytes])).toEqual([
      ['read-request', 'ok', request.length],
      ['read', 'ok', 5],
      ['reset', 'ok', undefined],
    ]);
    expect(record.requests).toEqual(['GET /a HTTP/1.1']);
    expect(record.bytesReceived).toBe(request.length + 5);
    expect(await drain(client)).toEqual({ data: '', end: 'ECONNRESET' });
  });

  it('a request head that arrives in two pieces is one request', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['respond:200'] }));
    const client = await rawClient(server, context);
    await client.send('GET /split HTTP/1.1\r\nho');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.send('st: x\r\n\r\n');
    const answer = await client.recv(4096, { timeout: 5_000 });
    expect(answer.ok && answer.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const [record] = await server.settled(1, { finished: false });
    expect(record.requests).toEqual(['GET /split HTTP/1.1']);
    expect(record.steps[0]).toMatchObject({ result: 'ok' });
    expect(record.bytesReceived).toBe('GET /split HTTP/1.1\r\nhost: x\r\n\r\n'.length);
  });

  it('a request with content-length: 0 is complete at its head', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['respond:204'] }));
    const client = await rawClient(server, context);
    await client.send('POST / HTTP/1.1\r\ncontent-length: 0\r\n\r\n');
    const answer = await client.recv(4096, { timeout: 3_000 });
    expect(answer.ok && answer.data.toString('latin1')).toMatch(/^HTTP\/1\.1 204 No Content\r\n/);
  });

  it('a status without a reason phrase of its own is answered with "Unknown"', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['respond:599'] }));
    const client = await rawClient(server, context);
    await client.send('GET / HTTP/1.1\r\n\r\n');
    const answer = await client.recv(4096, { timeout: 3_000 });
    expect(answer.ok && answer.data.toString('latin1')).toMatch(/^HTTP\/1\.1 599 Unknown\r\n/);
  });

  it.for([
    ['a bad content-length', 'POST / HTTP/1.1\r\ncontent-length: x\r\n\r\n'],
    ['a chunk-size line over 4 KiB', `POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n${'a'.repeat(5_000)}`],
  ] as const)('%s: EBADMSG, RST, every byte read counted', async ([, request], context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read-request', 'respond:200'] }));
    const client = await rawClient(server, context);
    await client.send(request);
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([
      expect.objectContaining({ step: { do: 'read-request' }, result: 'EBADMSG', bytes: request.length }),
    ]);
    expect(record.end).toBe('reset');
    expect(record.requests).toEqual([]);
    expect(await drain(client)).toEqual({ data: '', end: 'ECONNRESET' });
  });

  it('limitData (upstream) cuts inside a request: limit-data, the bytes let through', async (context) => {
    const keep = keeper(context);
    const server = keep(
      await faultServer({ onConnection: ['read-request'], toxics: [{ type: 'limitData', stream: 'upstream', bytes: 10 }] }),
    );
    const client = await rawClient(server, context);
    await client.send('GET /long/path HTTP/1.1\r\n\r\n');
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([expect.objectContaining({ result: 'limit-data', bytes: 10 })]);
    expect(record.end).toBe('close');
    expect(record.bytesReceived).toBe(10);
  });

  it("limitData (upstream, then 'reset') cuts a read: limit-data, RST", async (context) => {
    const keep = keeper(context);
    const server = keep(
      await faultServer({
        onConnection: ['read:10', { do: 'send', data: 'never' }],
        toxics: [{ type: 'limitData', stream: 'upstream', bytes: 4, then: 'reset' }],
      }),
    );
    const client = await rawClient(server, context);
    await client.send('0123456789');
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([expect.objectContaining({ result: 'limit-data', bytes: 4 })]);
    expect(record).toMatchObject({ end: 'reset', bytesSent: 0, bytesReceived: 4 });
    expect(await drain(client)).toEqual({ data: '', end: 'ECONNRESET' });
  });

  it("'reset-when-idle' after a pipelined request: 'reused' at once, the first answer then RST", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['respond:200', 'reset-when-idle'] }));
    const client = await rawClient(server, context);
    await client.send('GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n');
    const [record] = await server.settled(1);
    expect(record.steps.map((s) => [s.step.do, s.result, s.bytes])).toEqual([
      ['respond', 'ok', expect.any(Number)],
      ['reset-when-idle', 'reused', undefined],
    ]);
    expect(record.end).toBe('reset');
    expect(record.requests).toEqual(['GET /1 HTTP/1.1']);
    const { data, end } = await drain(client);
    expect(data).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
    expect(end).toBe('ECONNRESET');
  });
});

describe('the fixture closed under a waiting step', () => {
  it("a 'fin' held by slowClose: close() ends it at once, no step recorded, no error", async (context) => {
    const keep = keeper(context);
    const server = await faultServer({ onConnection: ['fin'], toxics: [{ type: 'slowClose', delay: 10_000 }] });
    const client = keep(await connect(server.port, server.address));
    const seen = outcome(client);
    await server.settled(1, { finished: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const start = performance.now();
    await server.close();
    expect(performance.now() - start).toBeLessThan(2_000);
    expect((await seen).end).toBe('ECONNRESET');
    expect(server.connections[0]).toMatchObject({ end: 'fixture-closed', steps: [], errors: [] });
  });

  it('a send held by latency: close() ends it at once, the bytes never sent', async (context) => {
    const keep = keeper(context);
    const server = await faultServer({
      onConnection: [{ do: 'send', data: 'held' }],
      toxics: [{ type: 'latency', latency: 10_000 }],
    });
    const client = keep(await connect(server.port, server.address));
    const seen = outcome(client);
    await server.settled(1, { finished: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const start = performance.now();
    await server.close();
    expect(performance.now() - start).toBeLessThan(2_000);
    expect(await seen).toEqual({ data: Buffer.alloc(0), end: 'ECONNRESET' });
    expect(server.connections[0]).toMatchObject({ end: 'fixture-closed', steps: [], errors: [], bytesSent: 0 });
  });

  it.skipIf(!filters.ok).for([
    ['a read', 'read:5'],
    ['a send', { do: 'send', data: 'x' }],
  ] as const)(`%s while a timeout toxic silences the peer: close() ends it at once${noFilters}`, async ([, step], context) => {
    const keep = keeper(context);
    const server = await faultServer({ onConnection: [step], toxics: [{ type: 'timeout' }] });
    const client = keep(await connect(server.port, server.address));
    const seen = outcome(client);
    await server.settled(1, { finished: false });
    await until(() => server.connections[0].toxics.some((e) => e.action === 'silence'), 3_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const start = performance.now();
    await server.close();
    expect(performance.now() - start).toBeLessThan(2_000);
    expect((await seen).end).toBe('ECONNRESET');
    expect(server.connections[0]).toMatchObject({ end: 'fixture-closed', steps: [], errors: [], bytesReceived: 0, bytesSent: 0 });
  });

  it.skipIf(!filters.ok)(`a timeout toxic with a deadline closes the connection: end close${noFilters}`, async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read:5'], toxics: [{ type: 'timeout', timeout: 300 }] }));
    const client = keep(new net.Socket());
    const seen = outcome(client.connect(server.port, server.address));
    const start = performance.now();
    const [record] = await server.settled(1, { timeout: 5_000 });
    expect(performance.now() - start).toBeGreaterThanOrEqual(280);
    expect(record.end).toBe('close');
    expect(record.steps).toEqual([]);
    expect(record.toxics.map((e) => e.action)).toEqual(['silence', 'close']);
    expect((await seen).end).toBe('end');
  });

  it.skipIf(!filters.ok)(
    `packetLoss removed from a live connection: its filter goes, 'unfilter' recorded${noFilters}`,
    async (context) => {
      const keep = keeper(context);
      const server = keep(
        await faultServer({ onConnection: ['read:4', 'reset'], toxics: [{ type: 'packetLoss', probability: 0.5 }] }),
      );
      const client = keep(await connect(server.port, server.address));
      const seen = outcome(client);
      await server.settled(1, { finished: false });
      await until(() => server.connections[0].toxics.some((e) => e.action === 'filter'), 3_000);
      await server.removeToxic('packetLoss_upstream');
      expect(server.connections[0].toxics.map((e) => [e.type, e.action])).toEqual([
        ['packetLoss', 'filter'],
        ['packetLoss', 'unfilter'],
      ]);
      // Nothing is dropped any more: the four bytes arrive at once.
      client.write('abcd');
      expect((await seen).end).toBe('ECONNRESET');
      const [record] = await server.settled(1);
      expect(record).toMatchObject({ end: 'reset', bytesReceived: 4 });
    },
  );
});

describe("each step's own result in the record", () => {
  const GET = 'GET / HTTP/1.1\r\nhost: x\r\n\r\n';

  it("'reset-when-idle': a request during the idle wait is 'reused' (1 byte read), then RST", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['respond:200', { do: 'reset-when-idle', after: 3_000 }] }));
    const client = await rawClient(server, context);
    await client.send(GET);
    const first = await client.recv(65_536, { timeout: 5_000 });
    expect(first.ok && first.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
    await client.send(GET);
    expect(await drain(client)).toEqual({ data: '', end: 'ECONNRESET' });
    const [record] = await server.settled(1);
    expect(record.steps[1]).toMatchObject({ step: { do: 'reset-when-idle', after: 3_000 }, result: 'reused', bytes: 1 });
    expect(record.steps[1].durationMs).toBeLessThan(2_500);
    expect(record.end).toBe('reset');
  });

  it("'close-unread' with data queued: 'ok', then the close sends RST because of it", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['close-unread'] }));
    const client = await rawClient(server, context);
    await client.send('unread');
    expect(await drain(client)).toEqual({ data: '', end: 'ECONNRESET' });
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([expect.objectContaining({ step: { do: 'close-unread' }, result: 'ok' })]);
    expect(record).toMatchObject({ end: 'close', bytesReceived: 0 });
  });

  it.for([
    ['connection-reset-by-peer', { data: '', end: 'ECONNRESET' }, 'reset', undefined],
    ['empty-response', { data: '', end: 'EOF' }, 'close', 0],
    [
      'malformed-response-chunk',
      { data: MALFORMED_CHUNK_RESPONSE.toString('latin1'), end: 'EOF' },
      'close',
      MALFORMED_CHUNK_RESPONSE.byteLength,
    ],
  ] as const)(
    "'%s' after the request: the bytes and end the client reads, 'ok' and the fault recorded",
    async ([fault, seen, end, bytes], context) => {
      const keep = keeper(context);
      const server = keep(await faultServer({ onConnection: [fault] }));
      const client = await rawClient(server, context);
      await client.send(GET);
      expect(await drain(client)).toEqual(seen);
      const [record] = await server.settled(1);
      expect(record.steps).toHaveLength(1);
      expect(record.steps[0]).toMatchObject({ step: { do: fault }, result: 'ok', fault });
      expect(record.steps[0].bytes).toBe(bytes);
      expect(record.end).toBe(end);
    },
  );

  it('failFirst with a status: that status with an empty body, then the steps go on', async (context) => {
    const keep = keeper(context);
    const server = keep(
      await faultServer({ onConnection: ['respond:200'], failFirst: { requests: 1, with: 503 }, holdTimeout: 200 }),
    );
    const client = await rawClient(server, context);
    await client.send(GET);
    const { data, end } = await drain(client);
    expect(data).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(data).toContain('\r\ncontent-length: 0\r\n');
    expect(data.endsWith('\r\n\r\n')).toBe(true);
    expect(end).toBe('ECONNRESET');
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([expect.objectContaining({ step: { do: 'respond', status: 200 }, result: 'ok', fault: 503 })]);
    expect(record.end).toBe('reset');
  });

  it("'random-data-then-close': 512 bytes drawn from the seed, the connection's number and the request's", async (context) => {
    const keep = keeper(context);
    const played = async (seed: number | undefined, connections: number): Promise<string[]> => {
      const server = keep(await faultServer({ onConnection: ['random-data-then-close'], seed }));
      const data: string[] = [];
      for (let i = 0; i < connections; i++) {
        const client = await rawClient(server, context);
        await client.send(GET);
        const seen = await drain(client);
        expect(seen.end).toBe('EOF');
        data.push(seen.data);
      }
      const records = await server.settled(connections);
      expect(records.map((r) => [r.steps[0].result, r.steps[0].bytes, r.end])).toEqual(
        Array.from({ length: connections }, () => ['ok', 512, 'close']),
      );
      return data;
    };
    const [first, second] = await played(7, 2);
    expect(first).toHaveLength(512);
    // Seed 7, connection 1 (record.index is 0-based), after its first request: the draw it pins.
    expect(first).toBe(randomData(512, (i) => unitRandom(7, 1, 'random-data', 1, i)).toString('latin1'));
    expect(first.startsWith('HTTP/')).toBe(false);
    expect(second).not.toBe(first);
    expect(await played(7, 2)).toEqual([first, second]);
    expect(await played(8, 1)).not.toEqual([first]);
  });

  it.for([
    ['fin', 10, { end: 'EOF' }, 'close'],
    ['fin', READ_CHUNK + 10, { end: 'EOF' }, 'close'],
    ['reset', 10, { end: 'ECONNRESET' }, 'reset'],
  ] as const)(
    "a send cut by limitData (then '%s', %i bytes): 'limit-data' with the bytes that went",
    async ([then, limit, seen, end], context) => {
      const keep = keeper(context);
      const data = Buffer.alloc(2 * READ_CHUNK, 'd');
      const server = keep(
        await faultServer({ onConnection: [{ do: 'send', data }], toxics: [{ type: 'limitData', bytes: limit, then }] }),
      );
      const client = await rawClient(server, context);
      const got = await drain(client);
      expect(got.end).toBe(seen.end);
      if (then === 'fin') expect(got.data).toBe('d'.repeat(limit));
      const [record] = await server.settled(1);
      expect(record.steps).toEqual([expect.objectContaining({ result: 'limit-data', bytes: limit })]);
      expect(record).toMatchObject({ end, bytesSent: limit });
    },
  );

  it("a send held by latency: 'ok' with every byte, sent after the latency", async (context) => {
    const keep = keeper(context);
    const server = keep(
      await faultServer({ onConnection: [{ do: 'send', data: 'held' }, 'close'], toxics: [{ type: 'latency', latency: 150 }] }),
    );
    const client = await rawClient(server, context);
    const start = performance.now();
    expect(await drain(client)).toEqual({ data: 'held', end: 'EOF' });
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
    const [record] = await server.settled(1);
    expect(record.steps.map((s) => [s.step.do, s.result, s.bytes])).toEqual([
      ['send', 'ok', 4],
      ['close', 'ok', undefined],
    ]);
    expect(record).toMatchObject({ end: 'close', bytesSent: 4 });
  });

  it.skipIf(!filters.ok)(
    `'silent' to its end: after holdTimeout the step is 'ok' and the connection reset${noFilters}`,
    async (context) => {
      const keep = keeper(context);
      const server = keep(await faultServer({ onConnection: ['silent'], holdTimeout: 300 }));
      const client = await rawClient(server, context);
      const start = performance.now();
      expect(await drain(client)).toEqual({ data: '', end: 'ECONNRESET' });
      expect(performance.now() - start).toBeGreaterThanOrEqual(280);
      const [record] = await server.settled(1);
      expect(record.steps).toEqual([expect.objectContaining({ step: { do: 'silent' }, result: 'ok' })]);
      expect(record.end).toBe('reset');
    },
  );
});
