import dgram from 'node:dgram';
import net from 'node:net';
import { openSync, closeSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import * as sockctl from '../src/index.js';
import { native } from '../src/controls/native.js';
import { BPF, DROP_ALL, encode, stmt } from '../src/raw/filter.js';
import { GARBAGE_ARGS, tcpPair, thrownBy, type TcpPair, udpFdOf } from './helpers.js';

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

const coded = (code: string, name?: string) => expect.objectContaining(name ? { code, name } : { code });

// Each control with the arguments that make a valid call after the socket.
const CONTROLS: Array<[string, (s: unknown) => unknown]> = [
  ['abort', (s) => sockctl.abort(s as net.Socket)],
  ['setLinger', (s) => sockctl.setLinger(s as net.Socket, 1000)],
  ['getLinger', (s) => sockctl.getLinger(s as net.Socket)],
  ['setKeepAlive', (s) => sockctl.setKeepAlive(s as net.Socket, { idle: 1000 })],
  ['getKeepAlive', (s) => sockctl.getKeepAlive(s as net.Socket)],
  ['setUserTimeout', (s) => sockctl.setUserTimeout(s as net.Socket, 10)],
  ['getUserTimeout', (s) => sockctl.getUserTimeout(s as net.Socket)],
  ['tcpInfo', (s) => sockctl.tcpInfo(s as net.Socket)],
  ['tcpInfo(buffer)', (s) => sockctl.tcpInfo(s as net.Socket, new Uint8Array(8))],
  ['takeError', (s) => sockctl.takeError(s as net.Socket)],
  ['queues', (s) => sockctl.queues(s as net.Socket)],
  ['getOption', (s) => sockctl.getOption(s as net.Socket, 6, 1)],
  ['setOption', (s) => sockctl.setOption(s as net.Socket, 6, 1, 1)],
  ['blackhole', (s) => sockctl.blackhole(s as net.Socket)],
  ['unblackhole', (s) => sockctl.unblackhole(s as net.Socket)],
  ['kill', (s) => sockctl.kill(s as net.Socket)],
  ['socketCookie', (s) => sockctl.socketCookie(s as net.Socket)],
];

const NOT_SOCKETS: unknown[] = [undefined, null, 3, '3', {}, [], { fd: 3 }, { _handle: { fd: 0 } }, Symbol('s'), () => {}];

describe.each(CONTROLS)('%s refuses what is not a live socket', (_name, call) => {
  it.each(NOT_SOCKETS.map((v) => [v]))('TypeError ERR_INVALID_ARG_TYPE for %s', (value) => {
    expect(() => call(value)).toThrow(coded('ERR_INVALID_ARG_TYPE', 'TypeError'));
  });

  it('ERR_SOCKET_CLOSED for a destroyed socket', async () => {
    pair = await tcpPair();
    pair.client.destroy();
    expect(() => call(pair!.client)).toThrow(coded('ERR_SOCKET_CLOSED'));
  });

  it('ERR_SOCKET_NOT_CONNECTED for a socket that never connected', () => {
    expect(() => call(new net.Socket())).toThrow(coded('ERR_SOCKET_NOT_CONNECTED'));
  });

  it('a dgram socket is not a TCP connection', () => {
    const udp = dgram.createSocket('udp4');
    try {
      expect(() => call(udp)).toThrow(coded('ERR_INVALID_ARG_TYPE', 'TypeError'));
    } finally {
      udp.close();
    }
  });
});

describe('argument values', () => {
  it.each([
    ['setLinger(-1)', (s: net.Socket) => sockctl.setLinger(s, -1), 'ERR_OUT_OF_RANGE'],
    ['setLinger(1.5)', (s: net.Socket) => sockctl.setLinger(s, 1.5), 'ERR_OUT_OF_RANGE'],
    // 1–999 ms would round down to 0 s, which turns close into a reset: refused.
    ['setLinger(999)', (s: net.Socket) => sockctl.setLinger(s, 999), 'ERR_OUT_OF_RANGE'],
    ['setLinger("1")', (s: net.Socket) => sockctl.setLinger(s, '1' as never), 'ERR_INVALID_ARG_TYPE'],
    ['setUserTimeout(-1)', (s: net.Socket) => sockctl.setUserTimeout(s, -1), 'ERR_OUT_OF_RANGE'],
    ['setUserTimeout(2**31)', (s: net.Socket) => sockctl.setUserTimeout(s, 2 ** 31), 'ERR_OUT_OF_RANGE'],
    ['setUserTimeout(NaN)', (s: net.Socket) => sockctl.setUserTimeout(s, Number.NaN), 'ERR_OUT_OF_RANGE'],
    ['setUserTimeout(Infinity)', (s: net.Socket) => sockctl.setUserTimeout(s, Infinity), 'ERR_OUT_OF_RANGE'],
    ['setUserTimeout(10n)', (s: net.Socket) => sockctl.setUserTimeout(s, 10n as never), 'ERR_INVALID_ARG_TYPE'],
    ['setKeepAlive(null)', (s: net.Socket) => sockctl.setKeepAlive(s, null as never), 'ERR_INVALID_ARG_TYPE'],
    ['setKeepAlive({enable: 1})', (s: net.Socket) => sockctl.setKeepAlive(s, { enable: 1 as never }), 'ERR_INVALID_ARG_TYPE'],
    ['getOption(level -1)', (s: net.Socket) => sockctl.getOption(s, -1, 1), 'ERR_OUT_OF_RANGE'],
    ['setOption(value 2**40)', (s: net.Socket) => sockctl.setOption(s, 6, 1, 2 ** 40), 'ERR_OUT_OF_RANGE'],
    ['tcpInfo(s, [])', (s: net.Socket) => sockctl.tcpInfo(s, [] as never), 'ERR_INVALID_ARG_TYPE'],
  ])('%s throws %s', async (_label, call, code) => {
    pair = await tcpPair();
    expect(() => call(pair!.client)).toThrow(coded(code));
  });

  it('a buffer smaller than the struct is filled up to its size', async () => {
    pair = await tcpPair();
    expect(sockctl.tcpInfo(pair.client, new Uint8Array(0))).toBe(0);
    expect(sockctl.decodeTcpInfo(new Uint8Array(0), 0).caState).toBeUndefined();
  });
});

describe('the native layer refuses garbage on its own', () => {
  const fns: Array<[string, (...args: unknown[]) => unknown]> = [
    ['getOption', native.options.getOption as never],
    ['setOption', native.options.setOption as never],
    ['getLinger', native.options.getLinger as never],
    ['setLinger', native.options.setLinger as never],
    ['getKeepAlive', native.options.getKeepAlive as never],
    ['setKeepAlive', native.options.setKeepAlive as never],
    ['takeError', native.options.takeError as never],
    ['tcpInfo', native.tcpInfo.tcpInfo as never],
    ['queues', native.queues.queues as never],
    ['filter.attach', native.filter.attach as never],
    ['filter.detach', native.filter.detach as never],
    ['filter.probe', native.filter.probe as never],
    ['kill', native.diag.kill as never],
    ['cookie', native.diag.cookie as never],
  ];
  it.each(fns)('%s throws TypeError/RangeError with a code for every garbage call', (_name, fn) => {
    for (const args of GARBAGE_ARGS) {
      const thrown = thrownBy(fn, args);
      expect(thrown, JSON.stringify(args)).toBeInstanceOf(Error);
      expect(thrown?.code, JSON.stringify(args)).toMatch(/^(ERR_[A-Z_]+|E[A-Z]+)$/);
    }
    // Called with a foreign `this`, as node-usb's abuse test does.
    expect(() => fn.call({}, 'x')).toThrow(coded('ERR_INVALID_ARG_TYPE'));
  });

  it('a closed fd fails EBADF and a non-socket fd ENOTSOCK, as SystemErrors', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(() => native.options.getLinger(fd)).toThrow(coded('ENOTSOCK'));
      expect(() => native.tcpInfo.tcpInfo(fd, new Uint8Array(8))).toThrow(
        expect.objectContaining({ code: 'ENOTSOCK', errno: -88, syscall: 'getsockopt', option: 'TCP_INFO' }),
      );
      expect(() => native.queues.queues(fd)).toThrow(expect.objectContaining({ syscall: 'ioctl', request: 'SIOCINQ' }));
    } finally {
      closeSync(fd);
    }
    expect(() => native.options.getOption(fd, 6, 1)).toThrow(
      expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'getsockopt' }),
    );
  });

  it('a filter program that is empty, not whole records or over 4096 instructions is refused before the kernel', () => {
    const socket = native.rawIo.socket(4);
    try {
      for (const program of [new Uint8Array(0), new Uint8Array(7), new Uint8Array(12), new Uint8Array(4097 * 8)]) {
        expect(() => native.filter.attach(socket, program), String(program.byteLength)).toThrow(coded('ERR_INVALID_ARG_VALUE'));
      }
      // Whole records the kernel's checker rejects (no ret at the end) come back as its EINVAL;
      // without CAP_NET_ADMIN the kernel refuses any filter on a TCP socket first (EPERM).
      const noReturn = encode([stmt(BPF.JMP | BPF.JA, 0)]);
      expect(() => native.filter.attach(socket, noReturn)).toThrow(
        expect.objectContaining({
          code: sockctl.canBlackhole().ok ? 'EINVAL' : 'EPERM',
          syscall: 'setsockopt',
          option: 'SO_ATTACH_FILTER',
        }),
      );
    } finally {
      native.rawIo.close(socket);
    }
  });

  it('the argument-less probe ignores garbage and answers [errno, step]', () => {
    const answer = (native.diag.probeKill as (...args: unknown[]) => unknown)('x', {}, -1);
    expect(answer).toEqual([expect.any(Number), expect.any(String)]);
  });

  it('filters and SOCK_DESTROY on fds that are not TCP sockets fail with the kernel errno', () => {
    const fd = openSync('/dev/null', 'r');
    try {
      expect(() => native.filter.attach(fd, DROP_ALL)).toThrow(
        expect.objectContaining({ code: 'ENOTSOCK', errno: -88, syscall: 'setsockopt', option: 'SO_ATTACH_FILTER' }),
      );
      expect(() => native.diag.kill(fd)).toThrow(expect.objectContaining({ code: 'ENOTSOCK', syscall: 'getsockopt' }));
      expect(() => native.diag.cookie(fd)).toThrow(expect.objectContaining({ code: 'ENOTSOCK', option: 'SO_COOKIE' }));
    } finally {
      closeSync(fd);
    }
    const udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    return new Promise<void>((resolve, reject) => {
      udp.once('listening', () => {
        try {
          const udpFd = udpFdOf(udp);
          expect(() => native.diag.kill(udpFd)).toThrow(
            expect.objectContaining({ code: 'EPROTONOSUPPORT', syscall: 'getsockopt' }),
          );
          resolve();
        } catch (error) {
          reject(error);
        } finally {
          udp.close();
        }
      });
    });
  });
});

describe('timeWaitSockets refuses what is not a port before reading the kernel table', () => {
  it.each([
    ["'80'", () => sockctl.timeWaitSockets('80' as never), 'ERR_INVALID_ARG_TYPE', '"port"'],
    ['-1', () => sockctl.timeWaitSockets(-1), 'ERR_OUT_OF_RANGE', '"port"'],
    ['65536', () => sockctl.timeWaitSockets(65536), 'ERR_OUT_OF_RANGE', '"port"'],
    ['remote 1.5', () => sockctl.timeWaitSockets(80, 1.5), 'ERR_OUT_OF_RANGE', '"remotePort"'],
  ])('%s', (_label, call, code, named) => {
    expect(call).toThrow(expect.objectContaining({ code, message: expect.stringContaining(named) }));
  });
});

describe('the namespace helper refuses garbage', () => {
  it.each([
    ['netnsCommand(1)', () => sockctl.netnsCommand(1 as never)],
    ["netnsCommand('')", () => sockctl.netnsCommand('')],
    ["netnsCommand('a', 'b')", () => sockctl.netnsCommand('a', 'b' as never)],
    ["netnsCommand('a', [1])", () => sockctl.netnsCommand('a', [1] as never)],
    ["netnsCommand('a', [], '')", () => sockctl.netnsCommand('a', [], '')],
    ['runInNetns(null)', () => sockctl.runInNetns(null as never)],
    ["runInNetns('a', {})", () => sockctl.runInNetns('a', {} as never)],
    ["runInNetns('a', [], null)", () => sockctl.runInNetns('a', [], null as never)],
  ])('%s throws ERR_INVALID_ARG_TYPE before spawning', (_label, call) => {
    expect(call).toThrow(coded('ERR_INVALID_ARG_TYPE', 'TypeError'));
  });
});
