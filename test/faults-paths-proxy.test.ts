// One proxied connection when a side fails: a client or upstream reset passed on as a reset, a
// refused or unanswered upstream connect, an exact cut then RST on a large response, the
// backpressure that pauses and resumes a source, and what a limitData cut leaves queued.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { abort, canCapture, faultProxy, faultServer, PROXY_BUFFER_BYTES } from '../src/index.js';
import { Capture } from '../src/raw/capture.js';
import { until } from './helpers.js';
import { connect, keeper, listening, outcome, freePort } from './faults-helpers.js';

describe('a side that fails is passed on', () => {
  it("the client resets: 'client ECONNRESET' recorded, the upstream reads ECONNRESET", async (context) => {
    const keep = keeper(context);
    let upstreamEnd: Promise<{ data: Buffer; end: string }> | undefined;
    const api = keep(
      await listening(
        net.createServer((socket) => {
          upstreamEnd = outcome(socket);
          socket.write('hello');
        }),
        '127.0.0.1',
      ),
    );
    const proxy = keep(await faultProxy(api));
    const client = keep(await connect(proxy.port, proxy.address));
    await new Promise<void>((resolve) => client.once('data', () => resolve()));
    abort(client);
    await until(() => upstreamEnd !== undefined, 3_000);
    expect((await upstreamEnd!).end).toBe('ECONNRESET');
    await until(() => proxy.connections[0]?.closedAt !== undefined, 3_000);
    expect(proxy.connections[0].errors).toEqual(['client ECONNRESET']);
  });

  it("the upstream resets: 'upstream ECONNRESET' recorded, the client reads ECONNRESET", async (context) => {
    const keep = keeper(context);
    const api = keep(await faultServer({ onConnection: [{ do: 'send', data: 'part' }, 'wait:50', 'reset'] }));
    const proxy = keep(await faultProxy(api));
    const client = keep(await connect(proxy.port, proxy.address));
    expect(await outcome(client)).toEqual({ data: Buffer.from('part'), end: 'ECONNRESET' });
    await until(() => proxy.connections[0]?.closedAt !== undefined, 3_000);
    expect(proxy.connections[0].errors).toEqual(['upstream ECONNRESET']);
    expect(proxy.connections[0].responseBytes).toBe(4);
  });

  it("the upstream refuses: 'upstream ECONNREFUSED' recorded, the client reads ECONNRESET", async (context) => {
    const keep = keeper(context);
    const proxy = keep(await faultProxy({ host: '127.0.0.1', port: freePort() }));
    const client = keep(await connect(proxy.port, proxy.address));
    expect((await outcome(client)).end).toBe('ECONNRESET');
    await until(() => proxy.connections[0]?.closedAt !== undefined, 3_000);
    expect(proxy.connections[0]).toMatchObject({ errors: ['upstream ECONNREFUSED'], requestBytes: 0, responseBytes: 0 });
  });

  it("an upstream that never answers the SYN: after connectTimeout 'upstream ETIMEDOUT', the client reset", async (context) => {
    const keep = keeper(context);
    const api = keep(await faultServer({ accept: false }));
    const proxy = keep(await faultProxy(api, { connectTimeout: 300 }));
    const client = keep(await connect(proxy.port, proxy.address));
    const start = performance.now();
    expect((await outcome(client)).end).toBe('ECONNRESET');
    expect(performance.now() - start).toBeGreaterThanOrEqual(280);
    await until(() => proxy.connections[0]?.closedAt !== undefined, 3_000);
    expect(proxy.connections[0].errors).toEqual(['upstream ETIMEDOUT']);
  });
});

describe('bytes and backpressure', () => {
  it('response { pass: 4 MiB, then: reset }: the client reads exactly 4 MiB, then ECONNRESET', async (context) => {
    const keep = keeper(context);
    const pass = 4 * 1024 * 1024;
    const api = keep(
      await listening(
        net.createServer((socket) => socket.end(Buffer.alloc(2 * pass, 'r'))),
        '127.0.0.1',
      ),
    );
    const proxy = keep(await faultProxy(api, { response: { pass, then: 'reset' } }));
    const client = keep(await connect(proxy.port, proxy.address));
    const capture = canCapture().ok ? Capture.open(client) : undefined;
    const { data, end } = await outcome(client, 10_000);
    expect(data.byteLength).toBe(pass);
    // Node reports the RST as ECONNRESET — or, seen in 1 of 12 rounds on a loaded machine, as
    // the end of the stream, though the wire carries the RST and no FIN (checked below).
    expect(['ECONNRESET', 'end']).toContain(end);
    if (capture) {
      await capture.settle();
      const fromProxy = capture.segments.filter((s) => s.source.port === proxy.port).map((s) => s.flags);
      capture.close();
      expect(fromProxy.filter((f) => f.includes('R'))).toHaveLength(1);
      expect(fromProxy.filter((f) => f.includes('F'))).toEqual([]);
    }
    await until(() => proxy.connections[0]?.closedAt !== undefined, 3_000);
    expect(proxy.connections[0]).toMatchObject({ responseBytes: pass, actions: ['response-reset'] });
  });

  it('a client that stops reading pauses the upstream; once it reads again every byte arrives', async (context) => {
    const keep = keeper(context);
    const size = 16 * 1024 * 1024;
    const api = keep(
      await listening(
        net.createServer((socket) => socket.end(Buffer.alloc(size, 'b'))),
        '127.0.0.1',
      ),
    );
    const proxy = keep(await faultProxy(api));
    const client = keep(await connect(proxy.port, proxy.address));
    client.pause();
    // Both kernels' buffers fill, then the proxy's own bound: it stops reading the upstream.
    await until(() => proxy.connections[0]?.maxBufferedBytes.downstream >= PROXY_BUFFER_BYTES, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const held = proxy.connections[0].responseBytes;
    expect(held).toBeLessThan(size);
    const seen = outcome(client, 15_000);
    client.resume();
    const { data, end } = await seen;
    expect({ bytes: data.byteLength, end }).toEqual({ bytes: size, end: 'end' });
    const record = proxy.connections[0];
    expect(record.responseBytes).toBe(size);
    expect(record.maxBufferedBytes.downstream).toBeGreaterThanOrEqual(PROXY_BUFFER_BYTES);
    expect(record.maxBufferedBytes.downstream).toBeLessThanOrEqual(PROXY_BUFFER_BYTES + 64 * 1024);
  });

  it('limitData behind latency: chunks still queued at the cut are counted as dropped', async (context) => {
    const keep = keeper(context);
    const api = keep(
      await listening(
        net.createServer((socket) => {
          socket.write(Buffer.alloc(100, 'a'));
          setTimeout(() => socket.write(Buffer.alloc(100, 'b')), 60);
        }),
        '127.0.0.1',
      ),
    );
    const proxy = keep(
      await faultProxy(api, {
        toxics: [
          { type: 'latency', latency: 300 },
          { type: 'limitData', bytes: 10 },
        ],
      }),
    );
    const client = keep(await connect(proxy.port, proxy.address));
    expect(await outcome(client)).toEqual({ data: Buffer.alloc(10, 'a'), end: 'end' });
    await until(() => proxy.connections[0]?.closedAt !== undefined, 3_000);
    const record = proxy.connections[0];
    // The second chunk waited in the queue behind the first's latency when the cut came.
    expect(record.droppedBytes).toBe(100);
    expect(record.responseBytes).toBe(10);
    expect(record.toxics).toContainEqual(expect.objectContaining({ type: 'limitData', action: 'cut', bytes: 10 }));
  });
});
