// The checks of the fault fixtures that refuse a step, a toxic, a toxic change, a target or a
// failFirst before anything listens or connects: Node's coded errors, each naming the argument
// and what it must be. Accepted object forms are played and read back from the record.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { faultClient, faultProxy, faultServer, type Toxic } from '../src/index.js';
import { connect, keeper, listening, outcome } from './faults-helpers.js';

const up = { host: '127.0.0.1', port: 1 };

describe('refused before anything listens', () => {
  it.each([
    [
      'a header value that is a number',
      () => faultServer({ onConnection: [{ do: 'respond', headers: { 'x-a': 5 as never } }] }),
      'ERR_INVALID_ARG_TYPE',
      `The "options.onConnection[0].headers['x-a']" argument must be of type string. Received type number (5)`,
    ],
    [
      'a header value with CRLF',
      () => faultServer({ onConnection: [{ do: 'respond', headers: { 'x-a': 'a\r\nb' } }] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.onConnection[0].headers['x-a']' must be a value without CR, LF or NUL. Received type string ('a\r\nb')",
    ],
    [
      'headers that are an array',
      () => faultServer({ onConnection: [{ do: 'respond', headers: [] as never }] }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.onConnection[0].headers" argument must be of type object. Received an instance of Array',
    ],
    [
      'a step that is a number',
      () => faultServer({ onConnection: [5 as never] }),
      'ERR_INVALID_ARG_TYPE',
      `The "options.onConnection[0]" argument must be a step name or an object with a 'do' field. Received type number (5)`,
    ],
    [
      "a step object without 'do'",
      () => faultServer({ onConnection: [{ bytes: 5 } as never] }),
      'ERR_INVALID_ARG_TYPE',
      `The "options.onConnection[0]" argument must be a step name or an object with a 'do' field. Received an instance of Object`,
    ],
    [
      'an unknown step object',
      () => faultServer({ onConnection: [{ do: 'explode' } as never] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.onConnection[0].do' must be a known step. Received type string ('explode')",
    ],
    [
      "{ do: 'half-close' } with another key",
      () => faultServer({ onConnection: [{ do: 'half-close', ms: 1 } as never] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.onConnection[0].ms' must be one of the known keys (do); unknown key. Received type string ('ms')",
    ],
    [
      'a latency toxic without latency',
      () => faultServer({ onConnection: ['reset'], toxics: [{ type: 'latency' } as never] }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.toxics[0].latency" argument must be of type number. Received undefined',
    ],
    [
      "a shorthand with text before 'read:N'",
      () => faultServer({ onConnection: ['xread:5' as never] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.onConnection[0]' must be a known step (reset, close, fin, read:N, respond:200, …). Received type string ('xread:5')",
    ],
    [
      "a shorthand with text after 'wait:N'",
      () => faultServer({ onConnection: ['wait:5ms' as never] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.onConnection[0]' must be a known step (reset, close, fin, read:N, respond:200, …). Received type string ('wait:5ms')",
    ],
    [
      'fixture options that are not an object',
      () => faultClient(up, ['reset'], 5 as never),
      'ERR_INVALID_ARG_TYPE',
      'The "options" argument must be of type object. Received type number (5)',
    ],
    [
      'a toxic that is a number',
      () => faultServer({ onConnection: ['reset'], toxics: [5 as never] }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.toxics[0]" argument must be of type object. Received type number (5)',
    ],
    [
      'a slicer on the upstream of a fault server',
      () => faultServer({ onConnection: ['reset'], toxics: [{ type: 'slicer', stream: 'upstream', averageSize: 10 }] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.toxics[0].stream' must be 'downstream' (where this fixture can apply slicer). Received type string ('upstream')",
    ],
    [
      'a timeout toxic on the downstream of a fault server',
      () => faultServer({ onConnection: ['reset'], toxics: [{ type: 'timeout', stream: 'downstream' }] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.toxics[0].stream' must be 'upstream' (where this fixture can apply timeout). Received type string ('downstream')",
    ],
    [
      'limitData per chunk',
      () => faultProxy(up, { toxics: [{ type: 'limitData', bytes: 5, toxicityPer: 'chunk' }] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.toxics[0].toxicityPer' must be 'connection' (limitData acts on a whole connection). Received type string ('chunk')",
    ],
    [
      'a toxic name that is a number',
      () => faultProxy(up, { toxics: [{ type: 'latency', latency: 1, name: 7 as never }] }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.toxics[0].name" argument must be of type string. Received type number (7)',
    ],
    [
      'a toxic name with a space',
      () => faultProxy(up, { toxics: [{ type: 'latency', latency: 1, name: 'a b' }] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.toxics[0].name' must be 1 to 64 letters, digits, _ . : or -. Received type string ('a b')",
    ],
    [
      'toxics that are not an array',
      () => faultProxy(up, { toxics: { type: 'latency', latency: 1 } as never }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.toxics" argument must be an instance of Array. Received an instance of Object',
    ],
    [
      '101 toxics',
      () =>
        faultProxy(up, {
          toxics: Array.from({ length: 101 }, (_, i): Toxic => ({ type: 'latency', latency: 1, name: `l${i}` })),
        }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.toxics.length' must be at most 100 toxics. Received type number (101)",
    ],
    [
      'two toxics of one name',
      () =>
        faultProxy(up, {
          toxics: [
            { type: 'latency', latency: 1 },
            { type: 'latency', latency: 2 },
          ],
        }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.toxics[1].name' must be a name no other toxic has. Received type string ('latency_downstream')",
    ],
    [
      'failFirst with an unknown fault',
      () => faultServer({ onConnection: ['respond:200'], failFirst: { requests: 1, with: 'explode' as never } }),
      'ERR_INVALID_ARG_TYPE',
      `The "options.failFirst.with" argument must be a status (100-599) or one of 'connection-reset-by-peer', 'empty-response', 'malformed-response-chunk', 'random-data-then-close'. Received type string ('explode')`,
    ],
    [
      'an HTTP step for a client',
      () => faultClient(up, ['respond:200' as never]),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'steps[0]' must be a client step (HTTP steps are for faultServer). Received type string ('respond:200')",
    ],
    [
      'a client option that is misspelled',
      () => faultClient(up, ['reset'], { stepTimout: 5 } as never),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.stepTimout' must be one of the known keys (stepTimeout, holdTimeout, allowNonLoopback, recordBytes, capture); unknown key. Received type string ('stepTimout')",
    ],
    [
      'a client allowNonLoopback that is a string',
      () => faultClient(up, ['reset'], { allowNonLoopback: 'yes' as never }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.allowNonLoopback" argument must be of type boolean. Received type string (\'yes\')',
    ],
    [
      'client steps that are not an array',
      () => faultClient(up, 'reset' as never),
      'ERR_INVALID_ARG_TYPE',
      'The "steps" argument must be an instance of Array. Received type string (\'reset\')',
    ],
    [
      'a client stepTimeout of 0',
      () => faultClient(up, ['reset'], { stepTimeout: 0 }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.stepTimeout" is out of range. It must be an integer >= 1 and <= 2147483647. Received 0',
    ],
    [
      'a client holdTimeout of 0',
      () => faultClient(up, ['reset'], { holdTimeout: 0 }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.holdTimeout" is out of range. It must be an integer >= 1 and <= 2147483647. Received 0',
    ],
    [
      'a client recordBytes of -1',
      () => faultClient(up, ['reset'], { recordBytes: -1 }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.recordBytes" is out of range. It must be an integer >= 0 and <= 67108864. Received -1',
    ],
    [
      'a client capture that is a string',
      () => faultClient(up, ['reset'], { capture: 'yes' as never }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.capture" argument must be of type boolean. Received type string (\'yes\')',
    ],
    [
      'a target string that is no URL',
      () => faultClient('not a url', ['reset']),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'target' must be a URL, { host, port } or a listening server. Received type string ('not a url')",
    ],
    [
      'a target that is a number',
      () => faultClient(8080 as never, ['reset']),
      'ERR_INVALID_ARG_TYPE',
      'The "target" argument must be a URL string, { host, port } or a listening server. Received type number (8080)',
    ],
    [
      'a target whose address is a function (a socket, not an AddressInfo)',
      () => faultProxy(new net.Socket() as never),
      'ERR_INVALID_ARG_TYPE',
      'The "upstream" argument must be a URL string, { host, port } or a listening net.Server. Received an instance of Socket',
    ],
    [
      'a net.Server that is not listening',
      () => faultProxy(net.createServer()),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'upstream' must be a listening server. Received an instance of Server",
    ],
    [
      'an IPv4-mapped address outside 127/8',
      () => faultClient({ host: '::ffff:10.0.0.1', port: 80 }, ['reset']),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'target host' must be a loopback address (127.0.0.0/8 or ::1); pass allowNonLoopback: true for another. Received type string ('::ffff:10.0.0.1')",
    ],
    [
      'faultProxy options that are a string',
      () => faultProxy(up, 'x' as never),
      'ERR_INVALID_ARG_TYPE',
      `The "options" argument must be of type object. Received type string ('x')`,
    ],
    [
      'a faultProxy option it does not know',
      () => faultProxy(up, { idleRest: 5 } as never),
      'ERR_INVALID_ARG_VALUE',
      expect.stringMatching(/^The argument 'options\.idleRest' must be one of the known keys \(/),
    ],
    [
      'a resetConnections entry below 1',
      () => faultProxy(up, { resetConnections: [2, 0] }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.resetConnections[1]" is out of range. It must be an integer >= 1 and <= 2147483647. Received 0',
    ],
    [
      'faultServer options that are a number',
      () => faultServer(5 as never),
      'ERR_INVALID_ARG_TYPE',
      'The "options" argument must be of type object. Received type number (5)',
    ],
    [
      'faultClient options that are an array',
      () => faultClient(up, ['reset'], [] as never),
      'ERR_INVALID_ARG_TYPE',
      'The "options" argument must be of type object. Received an instance of Array',
    ],
    [
      'faultServer without onConnection or connections',
      () => faultServer({}),
      'ERR_INVALID_ARG_TYPE',
      'The "options.onConnection" argument must be an Array of steps (or options.connections). Received undefined',
    ],
    [
      'a bad step in the second connection of connections',
      () => faultServer({ connections: [['reset'], [5 as never]] }),
      'ERR_INVALID_ARG_TYPE',
      expect.stringMatching(/^The "options\.connections\[1\]\[0\]" argument must be a step name/),
    ],
    [
      "a request rule whose 'then' it does not know",
      () => faultProxy(up, { request: { pass: 1, then: 'drop' as never } }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.request.then' must be 'reset', 'fin' or 'silent'. Received type string ('drop')",
    ],
    [
      'headers that are a string',
      () => faultServer({ onConnection: [{ do: 'respond', headers: 'x-a: 1' as never }] }),
      'ERR_INVALID_ARG_TYPE',
      `The "options.onConnection[0].headers" argument must be of type object. Received type string ('x-a: 1')`,
    ],
    [
      'headers that are null',
      () => faultServer({ onConnection: [{ do: 'respond', headers: null as never }] }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.onConnection[0].headers" argument must be of type object. Received null',
    ],
    [
      "a step object whose 'do' is a number",
      () => faultServer({ onConnection: [{ do: 5 } as never] }),
      'ERR_INVALID_ARG_TYPE',
      `The "options.onConnection[0]" argument must be a step name or an object with a 'do' field. Received an instance of Object`,
    ],
  ] as const)('%s', async (_label, make, code, message) => {
    await expect(make()).rejects.toMatchObject({ code, message });
  });
});

describe('the toxics of a running fixture', () => {
  it('addToxic refuses a name in use and a 101st toxic; the toxics getter lists copies', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['reset'], toxics: [{ type: 'latency', latency: 10 }] }));
    await expect(server.addToxic({ type: 'latency', latency: 20 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: "The argument 'toxic.name' must be a name no other toxic has. Received type string ('latency_downstream')",
    });
    for (let i = 1; i < 100; i++) await server.addToxic({ type: 'latency', latency: 1, name: `l${i}` });
    expect(server.toxics).toHaveLength(100);
    await expect(server.addToxic({ type: 'latency', latency: 1, name: 'one-too-many' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: "The argument 'toxic' must be at most 100 toxics. Received type number (100)",
    });
    const [first] = server.toxics;
    expect(first).toEqual({
      type: 'latency',
      name: 'latency_downstream',
      stream: 'downstream',
      toxicity: 1,
      toxicityPer: 'connection',
      latency: 10,
      jitter: 0,
    });
    // A copy: changing it changes nothing in the server.
    (first as { latency: number }).latency = 999;
    expect(server.toxics[0]).toMatchObject({ latency: 10 });
  });

  it('updateToxic keeps type and name, refuses to change them, and names the toxics it knows', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['reset'], toxics: [{ type: 'latency', latency: 10 }] }));
    // The same type and name are no change: accepted.
    expect(
      await server.updateToxic('latency_downstream', { type: 'latency', name: 'latency_downstream', latency: 30 } as never),
    ).toMatchObject({
      type: 'latency',
      latency: 30,
    });
    expect(server.toxics).toEqual([expect.objectContaining({ name: 'latency_downstream', latency: 30 })]);
    await expect(server.updateToxic('latency_downstream', { type: 'bandwidth' } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: "The argument 'changes.type' must be unchanged. Received type string ('bandwidth')",
    });
    await expect(server.updateToxic('latency_downstream', { name: 'other' } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: "The argument 'changes.name' must be unchanged. Received type string ('other')",
    });
    await expect(server.updateToxic(5 as never, { latency: 1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "name" argument must be of type string. Received type number (5)',
    });
    await server.addToxic({ type: 'bandwidth', bytesPerSecond: 1000 });
    await expect(server.updateToxic('nope', { latency: 1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message:
        "The argument 'name' must be the name of a toxic (latency_downstream, bandwidth_downstream). Received type string ('nope')",
    });
    await server.removeToxic('latency_downstream');
    await server.removeToxic('bandwidth_downstream');
    expect(server.toxics).toEqual([]);
    await expect(server.removeToxic('latency_downstream')).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: "The argument 'name' must be the name of a toxic (none). Received type string ('latency_downstream')",
    });
  });
});

describe('object forms of steps, as played', () => {
  it("{ do: 'half-close' } plays a FIN: the client reads end of stream, the record shows 'fin'", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: [{ do: 'half-close' }, 'read:2'] }));
    const client = keep(await connect(server.port, server.address));
    client.on('end', () => client.end('ab'));
    expect((await outcome(client)).end).toBe('end');
    const [record] = await server.settled(1);
    expect(record.steps.map((s) => [s.step, s.result, s.bytes])).toEqual([
      [{ do: 'fin' }, 'ok', undefined],
      [{ do: 'read', bytes: 2 }, 'ok', 2],
    ]);
    expect(record.received.toString()).toBe('ab');
  });

  it("{ do: 'reset-when-idle', after } keeps `after` and resets after that much silence", async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: [{ do: 'reset-when-idle', after: 150 }] }));
    const client = keep(await connect(server.port, server.address));
    const start = performance.now();
    expect((await outcome(client)).end).toBe('ECONNRESET');
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
    const [record] = await server.settled(1);
    expect(record.steps).toEqual([expect.objectContaining({ step: { do: 'reset-when-idle', after: 150 }, result: 'idle' })]);
    expect(record.end).toBe('reset');
  });
});

describe('targets', () => {
  it('an IPv4-mapped loopback host (::ffff:127.0.0.1) is loopback: the client connects over it', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read:2', 'reset'] }));
    const client = await faultClient({ host: '::ffff:127.0.0.1', port: server.port }, [{ do: 'send', data: 'hi' }, 'read:1']);
    context.onTestFinished(() => client.close());
    const [record] = await server.settled(1);
    expect(record).toMatchObject({ remoteAddress: '127.0.0.1', bytesReceived: 2, end: 'reset' });
    expect((await client.done).end).toBe('peer-reset');
  });

  it.for([
    ['::', '::1'],
    ['0.0.0.0', '127.0.0.1'],
  ] as const)('a net.Server listening on %s is reached on %s', async ([wildcard, loopback], context) => {
    const keep = keeper(context);
    const accepted: string[] = [];
    const upstream = keep(
      await listening(
        net.createServer((socket) => {
          accepted.push(socket.localAddress ?? '');
          socket.end('up');
        }),
        wildcard,
      ),
    );
    const proxy = keep(await faultProxy(upstream, { host: loopback }));
    const client = keep(await connect(proxy.port, loopback));
    expect(await outcome(client)).toEqual({ data: Buffer.from('up'), end: 'end' });
    expect(accepted).toEqual([loopback === '::1' ? '::1' : '127.0.0.1']);
  });
});
