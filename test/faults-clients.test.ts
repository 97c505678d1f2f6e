import { once } from 'node:events';
import { createRequire } from 'node:module';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  abort,
  canBlackhole,
  faultClient,
  faultProxy,
  faultServer,
  setUserTimeout,
  type FaultClient,
  type FaultProxy,
  type FaultServer,
} from '../src/index.js';
import { errorCode, expectErrorCode, expectRejectsWithCode, sockctlMatchers } from '../src/testing.js';
import { HOSTS, nextError, tlsCert, tlsKey, until } from './helpers.js';

expect.extend(sockctlMatchers);
declare module 'vitest' {
  interface Assertion {
    toHaveErrorCode(code: string): void;
  }
}

const require = createRequire(import.meta.url);
const { get, getWithRetry } = require('../examples/retry-on-reset.js') as {
  get(url: string, agent: http.Agent): Promise<{ status: number; body: string }>;
  getWithRetry(url: string, agent: http.Agent): Promise<{ status: number; body: string; attempts: number }>;
};

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const probe = canBlackhole();
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;

type Closable = FaultServer | FaultClient | FaultProxy | http.Agent | net.Server;
const open: Closable[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) {
    if (item instanceof http.Agent) item.destroy();
    else if (item instanceof net.Server) {
      item.closeAllConnections?.();
      await new Promise((resolve) => item.close(resolve));
    } else await item.close();
  }
});

function keep<T extends Closable>(item: T): T {
  open.push(item);
  return item;
}

async function listen<T extends net.Server>(server: T, host: string): Promise<T> {
  keep(server);
  server.listen(0, host);
  await once(server, 'listening');
  return server;
}

function hostUrl(host: string, port: number): string {
  return host === '::1' ? `http://[::1]:${port}/` : `http://${host}:${port}/`;
}

describe.each(HOSTS)('node:http Agent with keepAlive (%s)', (host) => {
  it('an idle pooled socket reset by the server: the next request fails ECONNRESET', async () => {
    const server = keep(await faultServer({ host, onConnection: ['respond:200', 'reset-when-idle'] }));
    const agent = keep(new http.Agent({ keepAlive: true, maxSockets: 1 }));
    expect(await get(server.url, agent)).toMatchObject({ status: 200, body: 'ok' });
    const error = await get(server.url, agent).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNRESET', reusedSocket: true });
    const [record] = await server.settled(1);
    expect(record.steps.map((s) => `${s.step.do}=${s.result}`)).toEqual(['respond=ok', 'reset-when-idle=reused']);
  });

  it('the retry wrapper from examples/ recovers, on a second connection', async () => {
    const server = keep(await faultServer({ host, onConnection: ['respond:200', 'reset-when-idle'] }));
    const agent = keep(new http.Agent({ keepAlive: true, maxSockets: 1 }));
    await get(server.url, agent);
    await expect(getWithRetry(server.url, agent)).resolves.toMatchObject({ status: 200, body: 'ok', attempts: 2 });
    expect(server.connections).toHaveLength(2);
  });

  it("Maya's sketch: connection 1 answers, connection 2 resets at once", async () => {
    const server = keep(await faultServer({ host, connections: [['respond:200'], ['reset']] }));
    await expect(get(server.url, new http.Agent())).resolves.toMatchObject({ status: 200 });
    await expectRejectsWithCode(get(server.url, new http.Agent()), 'ECONNRESET');
  });
});

describe.each(HOSTS)('fetch (undici in Node %s) against a real reset', (host) => {
  it('RST before the response headers: cause.code ECONNRESET on every Node', async () => {
    const server = keep(await faultServer({ host, onConnection: ['read-request', 'reset'] }));
    const error = await fetch(server.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ cause: { code: 'ECONNRESET' } });
    expect(error).toHaveErrorCode('ECONNRESET');
  });

  it('RST right behind the first body bytes: UND_ERR_SOCKET on Node 20/22, ECONNRESET from 24', async () => {
    // Head, 3 of 100 body bytes and the RST reach the client together. Node 20/22's libuv takes
    // that hang-up as end of stream, so undici reports its own 'other side closed'.
    const server = keep(
      await faultServer({ host, onConnection: [{ do: 'respond', body: 'x'.repeat(100), cutAfter: 3 }, 'reset'] }),
    );
    const expected = NODE_MAJOR >= 24 ? 'ECONNRESET' : 'UND_ERR_SOCKET';
    const error = await fetch(server.url)
      .then((res) => res.text())
      .catch((e: unknown) => e);
    console.log(
      `[${host}] Node ${process.versions.node}: mid-body RST with the bytes → cause.code ${errorCode((error as Error).cause)}`,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).cause).toMatchObject({ code: expected });
  });

  it('RST after the client read the first body bytes: cause.code ECONNRESET on 20, 22, 24 and 26', async () => {
    const server = keep(
      await faultServer({
        host,
        onConnection: [{ do: 'respond', body: 'x'.repeat(100), cutAfter: 3 }, 'wait:50', 'reset'],
      }),
    );
    const error = await fetch(server.url)
      .then((res) => res.text())
      .catch((e: unknown) => e);
    expect((error as Error).cause).toMatchObject({ code: 'ECONNRESET' });
  });
});

describe.each(HOSTS)('node:tls (%s)', (host) => {
  it('a TLS server that aborts its TLSSocket: the TLS client sees ECONNRESET', async () => {
    const server = await listen(
      tls.createServer({ key: tlsKey, cert: tlsCert }, (socket) => {
        socket.on('error', () => {});
        socket.write('hello', () => setTimeout(() => abort(socket), 20));
      }),
      host,
    );
    const port = (server.address() as net.AddressInfo).port;
    const client = tls.connect({ host, port, ca: tlsCert, servername: 'localhost' });
    const data = once(client, 'data');
    const error = nextError(client);
    expect(String((await data)[0])).toBe('hello');
    expectErrorCode(await error, 'ECONNRESET');
    client.destroy();
  });

  it('a faultProxy cutting the TLS stream after 100 bytes with RST: the TLS client sees ECONNRESET', async () => {
    const server = await listen(
      tls.createServer({ key: tlsKey, cert: tlsCert }, (socket) => {
        socket.on('error', () => {});
        socket.write('x'.repeat(10_000));
      }),
      host,
    );
    const proxy = keep(
      await faultProxy(
        { host, port: (server.address() as net.AddressInfo).port },
        { host, response: { pass: 100, then: 'reset' } },
      ),
    );
    const client = tls.connect({ host, port: proxy.port, ca: tlsCert, servername: 'localhost' });
    expectErrorCode(await nextError(client), 'ECONNRESET');
    expect(proxy.connections[0]).toMatchObject({ responseBytes: 100, actions: ['response-reset'] });
    client.destroy();
  });
});

describe.each(HOSTS)('a node:http server under faultClient (%s)', (host) => {
  async function httpServer() {
    const seen: string[] = [];
    const server = await listen(
      http.createServer((req, res) => {
        req.on('error', (error: NodeJS.ErrnoException) => seen.push(`req ${error.code}`));
        req.on('aborted', () => seen.push('aborted'));
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => res.end(`got ${body.length}`));
      }),
      host,
    );
    return { server, seen, url: hostUrl(host, (server.address() as net.AddressInfo).port) };
  }

  it('a partial request then RST (the IE case): the request errors ECONNRESET, the next one is served', async () => {
    const { server, seen, url } = await httpServer();
    const partial = 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nabc';
    const client = keep(await faultClient(server, [{ do: 'send', data: partial }, 'wait:50', 'reset']));
    expect(await client.done).toMatchObject({ end: 'reset', bytesSent: partial.length });
    await until(() => seen.includes('req ECONNRESET'));
    expect(seen).toContain('aborted');
    expect(await get(url, new http.Agent())).toMatchObject({ status: 200, body: 'got 0' });
  });

  it('half-close after a full request: the server still answers, then ends', async () => {
    const { server } = await httpServer();
    const client = keep(await faultClient(server, [{ do: 'send', data: 'GET / HTTP/1.1\r\nhost: x\r\n\r\n' }, 'half-close']));
    const record = await client.done;
    expect(record.end).toBe('peer-eof');
    expect(record.received.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*got 0$/);
  });

  it("send, then close with the server's answer unread: the kernel RSTs, the server's socket sees ECONNRESET", async () => {
    const errors: string[] = [];
    const server = await listen(
      net.createServer((socket) => {
        socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? ''));
        socket.once('data', () => socket.write('answer'));
      }),
      host,
    );
    const client = keep(await faultClient(server, [{ do: 'send', data: 'x' }, 'close-unread']));
    expect(await client.done).toMatchObject({ end: 'close', bytesReceived: 0 });
    await until(() => errors.length > 0);
    expect(errors).toEqual(['ECONNRESET']);
  });

  it.skipIf(!probe.ok)(`vanishing silently: the server's user timeout fires ETIMEDOUT${skipReason}`, async () => {
    const accepted: net.Socket[] = [];
    const server = await listen(
      net.createServer((socket) => accepted.push(socket)),
      host,
    );
    const client = keep(await faultClient(server, ['silent']));
    await until(() => accepted.length === 1);
    setUserTimeout(accepted[0], 500);
    const error = nextError(accepted[0], 5_000);
    accepted[0].write('anyone there?');
    expectErrorCode(await error, 'ETIMEDOUT');
    await client.close();
  });
});

describe('sockctl/testing', () => {
  it('finds a code on the error or along its cause chain, and says what it found otherwise', () => {
    const nested = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) });
    expect(expectErrorCode(nested, 'ECONNRESET')).toBe(nested);
    expect(() => expectErrorCode(nested, 'EPIPE')).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }));
    expect(() => expectErrorCode(new Error('plain'), 'EPIPE')).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }));
    expect(nested).not.toHaveErrorCode('EPIPE');
    const cyclic: { code?: string; cause?: unknown } = {};
    cyclic.cause = cyclic;
    expect(errorCode(cyclic)).toBeUndefined();
  });
});

describe.each(HOSTS)("a 'respond' step's own headers, read by node:http and fetch (%s)", (host) => {
  it('the Content-Type given, in any case, is the only one the client reads', async () => {
    const json = '{"ok":true}';
    const server = keep(
      await faultServer({
        host,
        onConnection: [{ do: 'respond', body: json, headers: { 'Content-Type': 'application/json' } }, 'close'],
      }),
    );
    const headers = await new Promise<http.IncomingMessage['rawHeaders']>((resolve, reject) => {
      http
        .get(server.url, (res) => {
          res.resume();
          resolve(res.rawHeaders);
        })
        .on('error', reject);
    });
    const named = (name: string) => headers.filter((_, i) => i % 2 === 0 && headers[i].toLowerCase() === name);
    expect(named('content-type')).toEqual(['Content-Type']);
    expect(headers[headers.indexOf('Content-Type') + 1]).toBe('application/json');
    const second = keep(
      await faultServer({ host, onConnection: [{ do: 'respond', body: json, headers: { 'content-TYPE': 'application/json' } }] }),
    );
    expect(await fetch(second.url).then((r) => r.json())).toEqual({ ok: true });
  });
});
