// The library's getters could agree with its setters and both be wrong. Here another program
// (Python's socket module) reads the same kernel socket: the fd is shared with the child as its
// fd 3, the child reads the options with its own getsockopt calls and prints them.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { setKeepAlive, setLinger, setUserTimeout, tcpInfo } from '../src/index.js';
import { HOSTS, tcpPair, type TcpPair } from './helpers.js';

const READER = String.raw`
import json, socket, struct
s = socket.socket(fileno=3)
linger = struct.unpack('ii', s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8))
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 512)
print(json.dumps({
  'linger': list(linger),
  'keepalive': s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
  'idle': s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
  'interval': s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
  'count': s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
  'userTimeout': s.getsockopt(socket.IPPROTO_TCP, 18),
  'tcpInfoLength': len(info),
  'state': info[0],
}))
s.detach()
`;

function readFromOutside(socket: net.Socket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', READER], { stdio: ['ignore', 'pipe', 'inherit', socket] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`python3 exited ${code}`))));
  });
}

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

describe.each(HOSTS)('values set through sockctl, read by another process (%s)', (host) => {
  it('linger, keepalive timers, user timeout and TCP_INFO agree', async () => {
    pair = await tcpPair(host);
    const before = await readFromOutside(pair.client);
    expect(before).toMatchObject({ linger: [0, 0], keepalive: 0, userTimeout: 0 });

    setLinger(pair.client, 9_000);
    setKeepAlive(pair.client, { idle: 11_000, interval: 4_000, count: 6 });
    setUserTimeout(pair.client, 2_500);
    const after = await readFromOutside(pair.client);
    expect(after).toEqual({
      linger: [1, 9],
      keepalive: 1,
      idle: 11,
      interval: 4,
      count: 6,
      userTimeout: 2_500,
      tcpInfoLength: tcpInfo(pair.client).length,
      state: 1, // TCP_ESTABLISHED
    });
  });
});
