// How a control finds the kernel socket behind what it is given (src/controls/handle.ts), called
// directly: the fd it resolves is the one the kernel reports for that connection, and each
// target without a kernel socket gets its own coded error (or -1 where a batch must go on).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { destroyThroughOwner, fdOf, fdOrNone, kClose, kFd, sameHandle, stableHandle } from '../src/controls/handle.js';
import { RawSocket, TCP_INFO_SIZE, tcpInfoBatch } from '../src/index.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

async function connectedPair(): Promise<{ server: net.Server; client: net.Socket }> {
  const server = net.createServer((s) => cleanups.push(() => s.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  cleanups.push(() => client.destroy());
  await new Promise((resolve) => client.once('connect', resolve));
  return { server, client };
}

const notASocket = 'an instance of net.Socket, tls.TLSSocket, net.Server or RawSocket';

describe('fdOf', () => {
  it("resolves a connection's and a listener's fd: the kernel names the same socket through it", async () => {
    const { server, client } = await connectedPair();
    const fd = fdOf(client);
    expect(fd).toBe((client as unknown as { _handle: { fd: number } })._handle.fd);
    expect(fs.readlinkSync(`/proc/self/fd/${fd}`)).toMatch(/^socket:\[\d+\]$/);
    const serverFd = fdOf(server);
    expect(serverFd).toBeGreaterThanOrEqual(0);
    expect(fs.readlinkSync(`/proc/self/fd/${serverFd}`)).toMatch(/^socket:\[\d+\]$/);
    expect(serverFd).not.toBe(fd);
  });

  it('each target without a kernel socket gets its own error', async () => {
    const { client } = await connectedPair();
    client.destroy();
    expect(() => fdOf(client)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED', message: 'Socket is closed' }));
    expect(() => fdOf(new net.Socket())).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_NOT_CONNECTED', message: 'Socket is not connected' }),
    );
    // A handle that has no fd (libuv reports -1 for one not backed by a kernel socket).
    const handleless = new net.Socket();
    (handleless as unknown as { _handle: { fd: number } })._handle = { fd: -1 };
    expect(() => fdOf(handleless)).toThrow(
      expect.objectContaining({
        code: 'ERR_SOCKET_NOT_CONNECTED',
        message: 'Socket has no file descriptor (not connected yet, or not backed by a kernel socket)',
      }),
    );
    (handleless as unknown as { _handle: null })._handle = null;
    // fd 0 is a file descriptor like any other; -1 is libuv's "none", on a server too.
    (handleless as unknown as { _handle: { fd: number } })._handle = { fd: 0 };
    expect(fdOf(handleless)).toBe(0);
    expect(fdOrNone(handleless)).toBe(0);
    expect(stableHandle(handleless)).toEqual({ fd: 0 });
    (handleless as unknown as { _handle: null })._handle = null;
    const server = new net.Server();
    (server as unknown as { _handle: { fd: number } })._handle = { fd: -1 };
    expect(() => fdOf(server)).toThrow(expect.objectContaining({ code: 'ERR_SERVER_NOT_RUNNING' }));
    expect(fdOrNone(server)).toBe(-1);
    expect(stableHandle(server)).toBe(null);
    (server as unknown as { _handle: { fd: number } })._handle = { fd: 0 };
    expect(fdOf(server)).toBe(0);
    expect(fdOrNone(server)).toBe(0);
    (server as unknown as { _handle: null })._handle = null;
    // Only a whole, non-negative number is an fd: never NaN (an Int32Array slot of 0) or 2.5.
    for (const fd of [NaN, 2.5, -2, Infinity]) {
      (handleless as unknown as { _handle: { fd: number } })._handle = { fd };
      expect(fdOrNone(handleless), String(fd)).toBe(-1);
      expect(stableHandle(handleless), String(fd)).toBe(null);
      expect(() => fdOf(handleless), String(fd)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_NOT_CONNECTED' }));
    }
    (handleless as unknown as { _handle: null })._handle = null;
    expect(() => fdOf(new net.Server())).toThrow(
      expect.objectContaining({ code: 'ERR_SERVER_NOT_RUNNING', message: 'Server is not running' }),
    );
    expect(() => fdOf({}, 'target')).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        message: `The "target" argument must be ${notASocket}. Received an instance of Object`,
      }),
    );
    expect(() => fdOf(null)).toThrow(
      expect.objectContaining({ message: `The "socket" argument must be ${notASocket}. Received null` }),
    );
  });

  it("an owned socket answers through its own accessor, and its error is the caller's", () => {
    const raw = RawSocket.create(4);
    try {
      expect(fdOf(raw)).toBe(raw.fd);
    } finally {
      raw.close();
    }
    expect(() => fdOf(raw)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
  });
});

describe('fdOrNone (batch reads)', () => {
  it('the fd while there is one, -1 once it is gone, a throw only for what is not a socket', async () => {
    const { server, client } = await connectedPair();
    expect(fdOrNone(client)).toBe(fdOf(client));
    expect(fdOrNone(server)).toBe(fdOf(server));
    const raw = RawSocket.create(6);
    expect(fdOrNone(raw)).toBe(raw.fd);
    raw.close();
    expect(fdOrNone(raw)).toBe(-1);
    expect(fdOrNone(new net.Socket())).toBe(-1);
    const handleless = new net.Socket();
    (handleless as unknown as { _handle: { fd: number } })._handle = { fd: -1 };
    expect(fdOrNone(handleless)).toBe(-1);
    (handleless as unknown as { _handle: null })._handle = null;
    expect(fdOrNone(new net.Server())).toBe(-1);
    client.destroy();
    expect(fdOrNone(client)).toBe(-1);
    await new Promise((resolve) => server.close(resolve));
    expect(fdOrNone(server)).toBe(-1);
    expect(() => fdOrNone(42, 'sockets')).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARG_TYPE',
        message: `The "sockets" argument must be ${notASocket}. Received type number (42)`,
      }),
    );
    expect(() => fdOrNone(undefined)).toThrow(
      expect.objectContaining({ message: expect.stringContaining('The "socket" argument') }),
    );
  });
});

describe('stableHandle / sameHandle', () => {
  it("vouches for a plain socket's or server's open handle only, never a TLS socket's", async () => {
    const { server, client } = await connectedPair();
    const handle = stableHandle(client);
    expect(handle).toBe((client as unknown as { _handle: object })._handle);
    expect(sameHandle(client, handle as object)).toBe(true);
    expect(stableHandle(server)).toBe((server as unknown as { _handle: object })._handle);
    expect(stableHandle(new tls.TLSSocket(new net.Socket()))).toBe(null);
    expect(stableHandle(new net.Socket())).toBe(null);
    expect(stableHandle(new net.Server())).toBe(null);
    expect(stableHandle({ _handle: { fd: 3 } })).toBe(null);
    const handleless = new net.Socket();
    (handleless as unknown as { _handle: { fd: number } })._handle = { fd: -1 };
    expect(stableHandle(handleless)).toBe(null);
    (handleless as unknown as { _handle: { fd: string } })._handle = { fd: '3' };
    expect(stableHandle(handleless)).toBe(null);
    (handleless as unknown as { _handle: null })._handle = null;
    client.destroy();
    expect(sameHandle(client, handle as object)).toBe(false);
    expect(stableHandle(client)).toBe(null);
  });
});

describe('destroyThroughOwner', () => {
  it('Node destroys its socket; an owned socket is closed by its own close', async () => {
    const { client } = await connectedPair();
    destroyThroughOwner(client);
    expect(client.destroyed).toBe(true);
    let closed = 0;
    destroyThroughOwner({ [kFd]: () => 3, [kClose]: () => void closed++ });
    expect(closed).toBe(1);
  });
});

describe('a TLSSocket destroyed for a failed handshake', () => {
  it('has no fd for a batch while its handle lingers until the next microtask', async () => {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
    const server = tls.createServer({
      key: fs.readFileSync(path.join(dir, 'localhost-key.pem')),
      cert: fs.readFileSync(path.join(dir, 'localhost-cert.pem')),
    });
    cleanups.push(() => server.close());
    const seen = new Promise<{ destroyed: boolean; lingering: boolean; none: number; batch: number }>((resolve) => {
      server.on('tlsClientError', (_error, socket) => {
        const lingering = typeof (socket as unknown as { _handle?: { fd?: number } })._handle?.fd === 'number';
        const lengths = tcpInfoBatch([socket], new Uint8Array(TCP_INFO_SIZE));
        resolve({ destroyed: socket.destroyed, lingering, none: fdOrNone(socket), batch: lengths[0] });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () =>
      client.write('GET / HTTP/1.1\r\n\r\n'),
    );
    client.on('error', () => {});
    cleanups.push(() => client.destroy());
    const state = await seen;
    expect(state.destroyed).toBe(true);
    // The case the check is for: Node still holds the handle (and its fd) at this point.
    expect(state.lingering).toBe(true);
    expect(state.none).toBe(-1);
    expect(state.batch).toBe(-9);
  });
});
