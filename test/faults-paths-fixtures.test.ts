// The fixtures' own lifecycle paths: getters, down/up (and what the kernel answers meanwhile),
// calls after close(), a port that is taken, `await using`, calls on the wrong `this`, a
// connection past the scripted list, and a fault client whose connect is refused.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  canCapture,
  constants,
  faultClient,
  faultProxy,
  faultServer,
  FaultClient,
  FaultProxy,
  FaultServer,
  RawSocket,
  setOption,
} from '../src/index.js';
import { connect, keeper, listening, outcome, freePort } from './faults-helpers.js';
import { until } from './helpers.js';

const capture = canCapture();
const noCapture = capture.ok ? '' : ` (skipped: ${capture.code}: ${capture.reason})`;

/** What a connect to `port` meets within `ms`: 'connected', an errno code, or 'timeout'. */
async function connectOutcome(host: string, port: number, ms = 300): Promise<string> {
  const r = await RawSocket.connect({ host, port, timeout: ms });
  if (r.ok) {
    r.socket.abort();
    return 'connected';
  }
  return r.timedOut ? 'timeout' : r.code;
}

describe('faultServer', () => {
  it('errors, isDown and the kernel answer across down() and up()', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read:1'] }));
    expect(server.errors).toEqual([]);
    expect(server.isDown).toBe(false);
    await server.down();
    expect(server.isDown).toBe(true);
    expect(await connectOutcome(server.address, server.port)).toBe('ECONNREFUSED');
    await server.up();
    expect(server.isDown).toBe(false);
    expect(await connectOutcome(server.address, server.port)).toBe('connected');
    expect(server.errors).toEqual([]);
  });

  it('accept: false: SYNs dropped; down() refuses them (ECONNREFUSED); up() drops them again', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ accept: false }));
    expect(await connectOutcome(server.address, server.port)).toBe('timeout');
    await server.down();
    expect(await connectOutcome(server.address, server.port)).toBe('ECONNREFUSED');
    await server.up();
    expect(await connectOutcome(server.address, server.port)).toBe('timeout');
    expect(server.connections).toEqual([]);
  });

  it('up() while another socket listens on the port: rejects EADDRINUSE; once it is gone, up() works', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read:1'] }));
    await server.down();
    const squatter = RawSocket.create(4);
    context.onTestFinished(() => {
      if (!squatter.closed) squatter.close();
    });
    setOption(squatter, constants.SOL_SOCKET, constants.SO_REUSEADDR, 1);
    expect(squatter.bind(server.address, server.port)).toMatchObject({ ok: true });
    expect(squatter.listen(1)).toMatchObject({ ok: true });
    await expect(server.up()).rejects.toMatchObject({ code: 'EADDRINUSE', message: 'listen EADDRINUSE' });
    expect(server.isDown).toBe(true);
    squatter.close();
    await server.up();
    expect(server.isDown).toBe(false);
    expect(await connectOutcome(server.address, server.port)).toBe('connected');
  });

  it('down() and up() after close() reject ERR_SERVER_NOT_RUNNING', async () => {
    const server = await faultServer({ onConnection: ['reset'] });
    await server.close();
    await expect(server.down()).rejects.toMatchObject({ code: 'ERR_SERVER_NOT_RUNNING', message: 'Server is closed' });
    await expect(server.up()).rejects.toMatchObject({ code: 'ERR_SERVER_NOT_RUNNING', message: 'Server is closed' });
  });

  it('settled() waits for every one of the first `count` to finish (or only to be accepted), and checks its arguments', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ connections: [['reset'], ['read:1', 'close']] }));
    const first = keep(await connect(server.port, server.address));
    first.on('error', () => {});
    const second = keep(await connect(server.port, server.address));
    await until(() => server.connections[0]?.end !== undefined && server.connections.length === 2);
    // The first is finished, the second still waits for its byte.
    await expect(server.settled(2, { timeout: 60 })).rejects.toMatchObject({ code: 'ERR_SOCKCTL_TIMEOUT' });
    expect((await server.settled(2, { finished: false })).map((r) => r.index)).toEqual([0, 1]);
    expect((await server.settled(1)).map((r) => r.end)).toEqual(['reset']);
    expect(await server.settled(0)).toEqual([]);
    second.write('x');
    expect((await server.settled(2)).map((r) => r.index)).toEqual([0, 1]);
    for (const [args, code, message] of [
      [[-1], 'ERR_OUT_OF_RANGE', /^The value of "count" is out of range\./],
      [[1, 5], 'ERR_INVALID_ARG_TYPE', /^The "options" argument must be of type object\./],
      [
        [1, { wait: 1 }],
        'ERR_INVALID_ARG_VALUE',
        /^The argument 'options\.wait' must be one of the known keys \(timeout, finished\)/,
      ],
      [[1, { timeout: -1 }], 'ERR_OUT_OF_RANGE', /^The value of "options\.timeout" is out of range\./],
      [[1, { finished: 'yes' }], 'ERR_INVALID_ARG_TYPE', /^The "options\.finished" argument must be of type boolean\./],
    ] as Array<[unknown[], string, RegExp]>) {
      await expect(
        (server.settled as (...a: unknown[]) => Promise<unknown>)(...args),
        JSON.stringify(args),
      ).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message),
      });
    }
  });

  it('settled() that does not happen rejects ERR_SOCKCTL_TIMEOUT, saying how many and how long', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['reset'] }));
    await expect(server.settled(2, { timeout: 50 })).rejects.toMatchObject({
      code: 'ERR_SOCKCTL_TIMEOUT',
      message: '2 connection(s) did not finish within 50 ms',
    });
  });

  it('a port in use: rejects EADDRINUSE from bind (errno -98)', async (context) => {
    const keep = keeper(context);
    const taken = keep(await faultServer({ onConnection: ['read:1'] }));
    await expect(faultServer({ port: taken.port, onConnection: ['reset'] })).rejects.toMatchObject({
      code: 'EADDRINUSE',
      errno: -98,
      syscall: 'bind',
    });
    // The failed attempt left nothing bound: the first server still answers.
    expect(await connectOutcome(taken.address, taken.port)).toBe('connected');
  });

  it('a connection past the `connections` list plays no step and is held, then reset', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ connections: [['reset']], holdTimeout: 200 }));
    const first = keep(await connect(server.port, server.address));
    expect((await outcome(first)).end).toBe('ECONNRESET');
    const second = keep(await connect(server.port, server.address));
    second.write('xy');
    expect((await outcome(second)).end).toBe('ECONNRESET');
    const [, record] = await server.settled(2);
    expect(record).toMatchObject({ index: 1, steps: [], end: 'reset', bytesReceived: 2, errors: [] });
  });

  it('await using: the server is closed at the end of the scope (connects refused)', async () => {
    let port = 0;
    {
      await using server = await faultServer({ onConnection: ['read:1'] });
      port = server.port;
      expect(await connectOutcome('127.0.0.1', port)).toBe('connected');
    }
    expect(await connectOutcome('127.0.0.1', port)).toBe('ECONNREFUSED');
  });

  it('called on another object, or constructed directly: coded errors', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['reset'] }));
    expect(() => FaultServer.prototype.close.call({})).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "this" argument must be an instance of FaultServer. Received an instance of Object',
      }),
    );
    await expect(FaultServer.prototype.down.call(null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(FaultServer.prototype.up.call(5 as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "this" argument must be an instance of FaultServer. Received type number (5)',
    });
    const Ctor = server.constructor as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(Symbol('not the token'))).toThrow(
      expect.objectContaining({ code: 'ERR_ILLEGAL_CONSTRUCTOR', message: 'Use faultServer()' }),
    );
  });
});

describe('faultProxy', () => {
  it('a port in use rejects EADDRINUSE (the listen error, not an unhandled event); constructed directly: coded error', async (context) => {
    const keep = keeper(context);
    const api = keep(await listening(net.createServer(), '127.0.0.1'));
    const taken = keep(await faultProxy(api));
    await expect(faultProxy(api, { port: taken.port })).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'listen' });
    const Ctor = taken.constructor as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(Symbol('not the token'))).toThrow(
      expect.objectContaining({ code: 'ERR_ILLEGAL_CONSTRUCTOR', message: 'Use faultProxy()' }),
    );
  });

  it('seed, errors, isDown; down() refuses connects while the port stays held; close() after down() frees it', async (context) => {
    const keep = keeper(context);
    const api = keep(
      await listening(
        net.createServer((s) => s.end('up')),
        '127.0.0.1',
      ),
    );
    const proxy = await faultProxy(api, { seed: 1234 });
    context.onTestFinished(() => proxy.close());
    expect(proxy.seed).toBe(1234);
    expect(proxy.errors).toEqual([]);
    await proxy.down();
    expect(proxy.isDown).toBe(true);
    expect(await connectOutcome(proxy.address, proxy.port)).toBe('ECONNREFUSED');
    // The port is held: nobody else can take it meanwhile.
    const other = RawSocket.create(4);
    expect(other.bind(proxy.address, proxy.port)).toMatchObject({ ok: false, code: 'EADDRINUSE' });
    other.close();
    await proxy.close();
    // close() let go of the held port.
    const after = RawSocket.create(4);
    try {
      expect(after.bind(proxy.address, proxy.port)).toMatchObject({ ok: true });
    } finally {
      after.close();
    }
    await expect(proxy.down()).rejects.toMatchObject({ code: 'ERR_SERVER_NOT_RUNNING', message: 'Proxy is closed' });
    await expect(proxy.up()).rejects.toMatchObject({ code: 'ERR_SERVER_NOT_RUNNING', message: 'Proxy is closed' });
    expect(proxy.errors).toEqual([]);
  });

  it('down() twice holds the port once; down({ resetOpen }) resolves with the connections closed; up() twice listens once', async (context) => {
    const keep = keeper(context);
    const api = keep(await listening(net.createServer({ allowHalfOpen: true }), '127.0.0.1'));
    const proxy = await faultProxy(api);
    context.onTestFinished(() => proxy.close());
    const client = keep(await connect(proxy.port, proxy.address));
    client.on('error', () => {});
    await until(() => proxy.connections.length === 1);
    await proxy.down();
    await proxy.down({ resetOpen: true });
    // resetOpen waited for the connection to close: its record is final now.
    expect(proxy.connections[0].closedAt).toBeDefined();
    expect(proxy.connections[0].actions).toEqual(['down-reset']);
    await proxy.up();
    expect(proxy.isDown).toBe(false);
    await proxy.up();
    expect(await connectOutcome(proxy.address, proxy.port)).toBe('connected');
    await proxy.close();
    expect(proxy.errors).toEqual([]);
    // Nothing of the first down() is left holding the port.
    const after = RawSocket.create(4);
    try {
      expect(after.bind(proxy.address, proxy.port)).toMatchObject({ ok: true });
    } finally {
      after.close();
    }
  });

  it('await using, and calls on another object', async (context) => {
    const keep = keeper(context);
    const api = keep(
      await listening(
        net.createServer((s) => s.end('up')),
        '127.0.0.1',
      ),
    );
    let port = 0;
    {
      await using proxy = await faultProxy(api);
      port = proxy.port;
      const client = keep(await connect(port, '127.0.0.1'));
      expect((await outcome(client)).data.toString()).toBe('up');
    }
    expect(await connectOutcome('127.0.0.1', port)).toBe('ECONNREFUSED');
    expect(() => FaultProxy.prototype.close.call({})).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "this" argument must be an instance of FaultProxy. Received an instance of Object',
      }),
    );
    await expect(FaultProxy.prototype.down.call(null as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "this" argument must be an instance of FaultProxy. Received null',
    });
    await expect(FaultProxy.prototype.up.call('x' as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
      message: `The "this" argument must be an instance of FaultProxy. Received type string ('x')`,
    });
  });

  it('close() resolves once every open connection is closed, both of its sockets', async (context) => {
    const keep = keeper(context);
    const api = keep(await listening(net.createServer({ allowHalfOpen: true }), '127.0.0.1'));
    const proxy = await faultProxy(api);
    const clients = [keep(await connect(proxy.port, proxy.address)), keep(await connect(proxy.port, proxy.address))];
    for (const c of clients) c.on('error', () => {});
    await until(() => proxy.connections.length === 2);
    await proxy.close();
    expect(proxy.connections.map((r) => r.closedAt !== undefined)).toEqual([true, true]);
  });

  it('after down() and up(), a half close still passes through the new listener', async (context) => {
    const keep = keeper(context);
    const got: Buffer[] = [];
    const api = keep(
      await listening(
        net.createServer({ allowHalfOpen: true }, (s) => {
          s.on('data', (chunk: Buffer) => got.push(chunk));
          s.on('end', () => s.end('bye'));
        }),
        '127.0.0.1',
      ),
    );
    const proxy = keep(await faultProxy(api));
    await proxy.down();
    await proxy.up();
    const client = keep(net.connect({ host: proxy.address, port: proxy.port, allowHalfOpen: true }));
    const seen = outcome(client);
    client.end('hello');
    expect((await seen).data.toString()).toBe('bye');
    expect(Buffer.concat(got).toString()).toBe('hello');
  });
});

describe('faultClient', () => {
  it('a refused connect rejects with the kernel error: ECONNREFUSED, errno -111, syscall connect', async () => {
    await expect(faultClient({ host: '127.0.0.1', port: freePort() }, ['reset'])).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
    });
  });

  it.skipIf(!capture.ok)(`with capture: a refused connect rejects the same way${noCapture}`, async () => {
    await expect(faultClient({ host: '127.0.0.1', port: freePort() }, ['reset'], { capture: true })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
    });
  });

  it('await using resets the connection at the end of the scope; close() on another object is refused', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read:100'] }));
    {
      await using client = await faultClient(server, [{ do: 'send', data: 'hi' }]);
      await server.settled(1, { finished: false });
      expect(client.record.end).toBeUndefined();
    }
    const [record] = await server.settled(1);
    expect(record.end).toBe('peer-reset');
    expect(record.received.toString()).toBe('hi');
    expect(() => FaultClient.prototype.close.call({})).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        message: 'The "this" argument must be an instance of FaultClient. Received an instance of Object',
      }),
    );
    for (const other of [null, 5, undefined]) {
      expect(() => FaultClient.prototype.close.call(other as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
      );
    }
  });

  it('constructed directly: ERR_ILLEGAL_CONSTRUCTOR', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ onConnection: ['read:1'] }));
    const client = await faultClient(server, []);
    context.onTestFinished(() => client.close());
    const Ctor = client.constructor as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(Symbol('not the token'))).toThrow(
      expect.objectContaining({ code: 'ERR_ILLEGAL_CONSTRUCTOR', message: 'Use faultClient()' }),
    );
  });

  it.skipIf(!capture.ok)(
    `with capture: a SYN never answered rejects at stepTimeout, from connect${noCapture}`,
    async (context) => {
      const keep = keeper(context);
      const server = keep(await faultServer({ accept: false }));
      const start = performance.now();
      const error = await faultClient(server, ['reset'], { capture: true, stepTimeout: 300 }).then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
      const ms = performance.now() - start;
      // The handshake still runs at the deadline: connect(2) answers EALREADY there.
      expect(error).toMatchObject({
        syscall: 'connect',
        code: 'EALREADY',
        errno: -114,
        timedOut: true,
        message: 'connect EALREADY: no connection within options.stepTimeout (300 ms)',
      });
      expect(ms).toBeGreaterThanOrEqual(280);
      expect(ms).toBeLessThan(3_000);
    },
  );

  it('without capture: the same rejection at stepTimeout', async (context) => {
    const keep = keeper(context);
    const server = keep(await faultServer({ accept: false }));
    const error = await faultClient(server, ['reset'], { stepTimeout: 250 }).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(error).toMatchObject({
      syscall: 'connect',
      code: 'EALREADY',
      errno: -114,
      timedOut: true,
      message: 'connect EALREADY: no connection within options.stepTimeout (250 ms)',
    });
    // A refusal is the kernel's answer, not a timeout.
    await server.down();
    const refused = await faultClient(server, ['reset']).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(refused).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', message: 'connect ECONNREFUSED' });
    expect('timedOut' in (refused as object)).toBe(false);
  });
});
