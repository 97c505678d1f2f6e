import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { abort, getLinger, timeWaitSockets } from '../src/index.js';
import { HOSTS, nextError, tcpPair, tlsCert, tlsKey, until, type TcpPair } from './helpers.js';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe.each(HOSTS)('abort on a net.Socket (%s)', (host) => {
  it("the peer's next read fails ECONNRESET and no TIME_WAIT is left", async () => {
    pair = await tcpPair(host);
    const peerError = nextError(pair.client);
    const clientPort = pair.client.localPort;
    abort(pair.server);
    const error = await peerError;
    expect(error).toMatchObject({ code: 'ECONNRESET', errno: -104, syscall: 'read' });
    expect(pair.server.destroyed).toBe(true);
    expect(timeWaitSockets(pair.port, clientPort)).toBe(0);
  });

  it('a plain destroy() (FIN) leaves TIME_WAIT: the baseline the abort test relies on', async () => {
    pair = await tcpPair(host);
    const clientPort = pair.client.localPort;
    const closed = once(pair.client, 'close');
    pair.server.destroy();
    pair.client.end();
    await closed;
    await until(() => timeWaitSockets(pair!.port, clientPort) === 1);
    expect(timeWaitSockets(pair.port, clientPort)).toBe(1);
    // Counted by its ports: the same local port with another remote port is not it.
    expect(timeWaitSockets(pair.port, clientPort === 65535 ? 1 : clientPort! + 1)).toBe(0);
    // ...nor another local port with this remote port.
    expect(timeWaitSockets(pair.port === 65535 ? 1 : pair.port + 1, clientPort)).toBe(0);
    expect(timeWaitSockets(pair.port)).toBeGreaterThanOrEqual(1);
  });

  it('sets SO_LINGER {on, 0} before closing', async () => {
    pair = await tcpPair(host);
    const seen: Array<number | null> = [];
    const destroy = pair.server.destroy.bind(pair.server);
    // Observe the option at the moment Node closes the socket.
    pair.server.destroy = (error?: Error) => {
      pair!.server.destroy = destroy;
      seen.push(getLinger(pair!.server));
      return destroy(error);
    };
    pair.client.on('error', () => {});
    abort(pair.server);
    expect(seen).toEqual([0]);
  });
});

describe('abort on a tls.TLSSocket', () => {
  it.each(HOSTS)('server side abort: the TLS client sees ECONNRESET (%s)', async (host) => {
    const server = tls.createServer({ key: tlsKey, cert: tlsCert });
    server.listen(0, host);
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const accepted = once(server, 'secureConnection') as Promise<[tls.TLSSocket]>;
    const client = tls.connect({ host, port, ca: tlsCert, servername: 'localhost' });
    await once(client, 'secureConnect');
    const [serverSocket] = await accepted;
    // Node's own API refuses TLS sockets here; abort() does not.
    expect(() => (serverSocket as unknown as net.Socket).resetAndDestroy()).toThrow();
    const clientError = nextError(client);
    const clientPort = client.localPort;
    abort(serverSocket);
    expect(await clientError).toMatchObject({ code: 'ECONNRESET', syscall: 'read' });
    expect(timeWaitSockets(port, clientPort)).toBe(0);
    client.destroy();
    server.close();
  });

  it('client side abort: the TLS server socket sees ECONNRESET', async () => {
    const server = tls.createServer({ key: tlsKey, cert: tlsCert }, (socket) => socket.write('hello'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const accepted = once(server, 'secureConnection') as Promise<[tls.TLSSocket]>;
    const client = tls.connect({ host: '127.0.0.1', port, ca: tlsCert, servername: 'localhost' });
    // Wait for data the server wrote after its TLS 1.3 session tickets: had the RST come while
    // the tickets were being written, that write would take the ECONNRESET and Node would then
    // report a plain 'end' for the 0-byte read that follows (observed with strace).
    await once(client, 'data');
    const [serverSocket] = await accepted;
    const serverError = nextError(serverSocket);
    abort(client);
    expect(await serverError).toMatchObject({ code: 'ECONNRESET', syscall: 'read' });
    server.close();
  });
});

describe('abort on node:http sockets', () => {
  async function httpCase(pick: (req: http.IncomingMessage, res: http.ServerResponse) => net.Socket) {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('abc');
      // Headers and 3 of 100 body bytes are on the wire; now reset.
      setImmediate(() => abort(pick(req, res)));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, agent: false }, resolve).on('error', reject);
    });
    const error = await nextError(response);
    server.close();
    return error;
  }

  it('req.socket: the client response fails ECONNRESET mid-body', async () => {
    expect(await httpCase((req) => req.socket)).toMatchObject({ code: 'ECONNRESET' });
  });

  it('res.socket: the client response fails ECONNRESET mid-body', async () => {
    expect(await httpCase((_req, res) => res.socket as net.Socket)).toMatchObject({ code: 'ECONNRESET' });
  });
});

describe('abort refuses what it cannot reset', () => {
  it('a destroyed socket: ERR_SOCKET_CLOSED', async () => {
    pair = await tcpPair();
    pair.client.destroy();
    expect(() => abort(pair!.client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });

  it('a listening server: ERR_INVALID_ARG_TYPE', async () => {
    pair = await tcpPair();
    expect(() => abort(pair!.listener as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
