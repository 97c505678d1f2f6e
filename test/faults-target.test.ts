// Where a fault client or proxy connects (src/faults/common.ts resolveTarget): a URL, { host, port },
// a fixture or a listening server, always under the fixtures' host rule (an IP literal, loopback
// unless allowNonLoopback). Nothing here connects.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../src/faults/common.js';
import { caught } from './helpers.js';

const loopbackOnly = (target: unknown) => resolveTarget(target, 'target', false);

describe('resolveTarget', () => {
  it('a URL: its host without brackets, its port or the scheme default', () => {
    expect(loopbackOnly('http://127.0.0.1/')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(loopbackOnly('https://127.0.0.1/')).toEqual({ host: '127.0.0.1', port: 443 });
    expect(loopbackOnly('https://127.0.0.1:8443/x')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(loopbackOnly('http://[::1]:8080/path?q')).toEqual({ host: '::1', port: 8080 });
    expect(loopbackOnly('ws://127.0.0.2/')).toEqual({ host: '127.0.0.2', port: 80 });
    expect(caught(() => loopbackOnly('not a url'))).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: `The argument 'target' must be a URL, { host, port } or a listening server. Received type string ('not a url')`,
    });
    expect(caught(() => loopbackOnly('http://localhost/'))).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: `The argument 'target host' must be an IPv4 or IPv6 address literal. Received type string ('localhost')`,
    });
  });

  it('{ host, port }, a fixture ({ address, port }) or an AddressInfo: host first, then address, then 127.0.0.1', () => {
    expect(loopbackOnly({ port: 5 })).toEqual({ host: '127.0.0.1', port: 5 });
    expect(loopbackOnly({ address: '::1', port: 5 })).toEqual({ host: '::1', port: 5 });
    expect(loopbackOnly({ host: '127.0.0.3', address: '::1', port: 5 })).toEqual({ host: '127.0.0.3', port: 5 });
    expect(loopbackOnly({ host: '::ffff:127.0.0.1', port: 5 })).toEqual({ host: '::ffff:127.0.0.1', port: 5 });
    expect(caught(() => loopbackOnly({ port: 0 }))).toMatchObject({
      code: 'ERR_OUT_OF_RANGE',
      message: 'The value of "target port" is out of range. It must be an integer >= 1 and <= 65535. Received 0',
    });
    // Loopback is 127.0.0.0/8, ::1 and ::ffff:127.x.x.x: not an address that merely contains one.
    for (const host of ['1::ffff:127.0.0.1', '::ffff:10.0.0.1', '10.0.0.1', '::2']) {
      expect(
        caught(() => loopbackOnly({ host, port: 5 })),
        host,
      ).toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: `The argument 'target host' must be a loopback address (127.0.0.0/8 or ::1); pass allowNonLoopback: true for another. Received type string ('${host}')`,
      });
    }
    expect(resolveTarget({ host: '10.0.0.1', port: 5 }, 'target', true)).toEqual({ host: '10.0.0.1', port: 5 });
  });

  it('a listening server is reached on loopback, a wildcard one too; anything else is refused', async () => {
    const servers: net.Server[] = [];
    try {
      for (const [listen, reached] of [
        ['::', '::1'],
        ['0.0.0.0', '127.0.0.1'],
        ['127.0.0.1', '127.0.0.1'],
      ] as const) {
        const server = net.createServer().listen(0, listen);
        servers.push(server);
        await once(server, 'listening');
        expect(loopbackOnly(server)).toEqual({ host: reached, port: (server.address() as net.AddressInfo).port });
      }
    } finally {
      for (const server of servers) server.close();
    }
    expect(caught(() => loopbackOnly(new net.Server()))).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: `The argument 'target' must be a listening server. Received an instance of Server`,
    });
    // A server on a Unix socket has no TCP address to reach.
    const dir = mkdtempSync(path.join(tmpdir(), 'sockctl-'));
    const pipe = net.createServer().listen(path.join(dir, 'pipe'));
    await once(pipe, 'listening');
    try {
      expect(caught(() => loopbackOnly(pipe))).toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: `The argument 'target' must be a listening server. Received an instance of Server`,
      });
    } finally {
      pipe.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(caught(() => loopbackOnly(new net.Socket()))).toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
      message:
        'The "target" argument must be a URL string, { host, port } or a listening net.Server. Received an instance of Socket',
    });
    for (const bad of [5, null, undefined]) {
      expect(
        caught(() => loopbackOnly(bad)),
        String(bad),
      ).toMatchObject({
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringMatching(
          /^The "target" argument must be a URL string, \{ host, port \} or a listening server\. Received /,
        ),
      });
    }
  });
});
