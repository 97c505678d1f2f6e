// The Node-shaped errors every control throws (src/controls/errors.ts) and the checks that
// decide which one a bad target gets (src/controls/handle.ts), called directly.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { getUserTimeout, systemError } from '../src/index.js';
import { codedError, errnoName, explainPermission, probeAnswer } from '../src/controls/errors.js';
import { messageOf } from './helpers.js';

describe('systemError', () => {
  it('builds the error Node would: negative errno, code, syscall, and the option when given', () => {
    const plain = systemError(104, 'recv');
    expect(plain).toMatchObject({ name: 'Error', code: 'ECONNRESET', errno: -104, syscall: 'recv' });
    expect('option' in plain).toBe(false);
    expect(systemError(1, 'setsockopt', 'SO_ATTACH_FILTER')).toMatchObject({
      code: 'EPERM',
      errno: -1,
      option: 'SO_ATTACH_FILTER',
    });
  });

  it('names errnos libuv does not know from the platform table (EINPROGRESS)', () => {
    expect(systemError(115, 'connect').code).toBe('EINPROGRESS');
  });

  it('refuses a syscall or option that is not a string, and an errno out of range', () => {
    const type = expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(() => systemError(1, 5 as unknown as string)).toThrow(type);
    expect(() => systemError(1, 'x', 5 as unknown as string)).toThrow(type);
    expect(() => systemError(0, 'x')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

describe('explainPermission', () => {
  it('marks an EPERM with the missing capability and leaves anything else as it was', () => {
    const eperm = explainPermission(systemError(1, 'setsockopt', 'SO_ATTACH_FILTER'), 'why') as Error & { missing?: string };
    expect(eperm).toMatchObject({ code: 'EPERM', errno: -1, syscall: 'setsockopt', missing: 'CAP_NET_ADMIN' });
    const other = explainPermission(systemError(2, 'sock_diag'), 'why') as Error & { missing?: string };
    expect(other.code).toBe('ENOENT');
    expect('missing' in other).toBe(false);
    const notAnError = { code: 'EPERM' };
    expect(explainPermission(notAnError, 'why')).toEqual({ code: 'EPERM' });
  });
});

describe('which error a target without a kernel socket gets', () => {
  it('a server that never listened or stopped: ERR_SERVER_NOT_RUNNING; a socket never connected: ERR_SOCKET_NOT_CONNECTED', async () => {
    expect(() => getUserTimeout(new net.Server())).toThrow(expect.objectContaining({ code: 'ERR_SERVER_NOT_RUNNING' }));
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    expect(getUserTimeout(server)).toBe(0);
    await new Promise((resolve) => server.close(resolve));
    expect(() => getUserTimeout(server)).toThrow(expect.objectContaining({ code: 'ERR_SERVER_NOT_RUNNING' }));
    expect(() => getUserTimeout(new net.Socket())).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_NOT_CONNECTED' }));
  });
});

describe('the wording of errors', () => {
  it('a SystemError reads "<syscall> <code>"; an errno neither table knows keeps Node\'s wording', () => {
    expect(systemError(104, 'recv').message).toBe('recv ECONNRESET');
    expect(systemError(115, 'connect').message).toBe('connect EINPROGRESS');
    expect(errnoName(-104)).toBe('ECONNRESET');
    expect(errnoName(-115)).toBe('EINPROGRESS');
    expect(errnoName(-4242)).toBe('Unknown system error -4242');
    expect(() => systemError(1.5, 'x')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => systemError(2 ** 31, 'x')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(systemError(2 ** 31 - 1, 'x').errno).toBe(-(2 ** 31 - 1));
    expect(messageOf(() => systemError(0, 'x'))).toContain(
      'The value of "errno" is out of range. It must be an integer >= 1 and <= 2147483647. Received 0',
    );
    expect(messageOf(() => systemError(1, 5 as never))).toContain(
      'The "syscall" argument must be of type string. Received type number (5)',
    );
    expect(messageOf(() => systemError(1, 'x', 5 as never))).toContain(
      'The "option" argument must be of type string. Received type number (5)',
    );
  });

  it('explainPermission rewrites the message and names the capability asked for', () => {
    const raw = explainPermission(systemError(1, 'socket'), 'needs CAP_NET_RAW', 'CAP_NET_RAW') as Error & { missing?: string };
    expect(raw.message).toBe('socket EPERM: needs CAP_NET_RAW');
    expect(raw.missing).toBe('CAP_NET_RAW');
    const other = explainPermission(systemError(13, 'socket'), 'why');
    expect((other as Error).message).toBe('socket EACCES');
  });

  it('codedError: a plain Error with the code and message given', () => {
    const e = codedError('ERR_SOCKET_CLOSED', 'closed');
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'Error', code: 'ERR_SOCKET_CLOSED', message: 'closed' });
    expect('errno' in e).toBe(false);
  });
});

describe('probeAnswer (canBlackhole, canCapture, canForge)', () => {
  it('ok for errno 0; EPERM says what is missing; another errno names the step and the code', () => {
    expect(probeAnswer(0, 'socket', 'needs X', 'refused.')).toEqual({ ok: true });
    expect(probeAnswer(1, 'socket', 'needs X', 'refused.')).toEqual({ ok: false, code: 'EPERM', reason: 'needs X' });
    expect(probeAnswer(97, 'socket', 'needs X', 'the kernel refused a packet socket.')).toEqual({
      ok: false,
      code: 'EAFNOSUPPORT',
      reason: 'socket EAFNOSUPPORT: the kernel refused a packet socket.',
    });
    expect(probeAnswer(13, 'setsockopt', 'needs X', 'refused.')).toEqual({
      ok: false,
      code: 'EACCES',
      reason: 'setsockopt EACCES: refused.',
    });
  });
});
