// Every option kind of the fault fixtures fed wrong types and values, in a child process (a
// crash here must not take the test runner down): each must reject with a coded error before
// anything listens. Whatever is accepted anyway is then connected to (an HTTP request, garbage
// bytes, a reset), and the process must live to print its summary:
//   S {"cases":n,"coded":n,"accepted":[...],"uncoded":[...],"connected":n}
// Used by test/faults-options.test.ts.
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { faultServer, faultProxy, faultClient } = require(path.join(root, 'dist/index.js'));

const WRONG = [null, 'x', -1, 1.5, NaN, Infinity, {}, [], () => {}, Symbol('s'), 2 ** 53, true, 10n];
const upstream = net.createServer((s) => s.on('error', () => {}).end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const up = { host: '127.0.0.1', port: upstream.address().port };

/** [label, () => Promise<fixture>] */
const cases = [];
const server = (label, options) => cases.push([`faultServer ${label}`, () => faultServer(options)]);
const proxy = (label, target, options) => cases.push([`faultProxy ${label}`, () => faultProxy(target, options)]);
const base = { onConnection: ['respond:200'] };

// Every top-level option, every wrong type (a value right for the key is skipped).
const serverKeys = [
  'host',
  'allowNonLoopback',
  'port',
  'onConnection',
  'connections',
  'accept',
  'stepTimeout',
  'holdTimeout',
  'maxConnections',
  'backlog',
  'toxics',
  'seed',
  'failFirst',
  'recordBytes',
  'capture',
];
for (const key of serverKeys) for (const value of WRONG) server(`${key}=${String(value)}`, { ...base, [key]: value });
const proxyKeys = [
  'host',
  'port',
  'allowNonLoopback',
  'toxics',
  'seed',
  'request',
  'response',
  'idleReset',
  'resetConnections',
  'backlog',
  'maxConnections',
  'connectTimeout',
];
for (const key of proxyKeys) for (const value of WRONG) proxy(`${key}=${String(value)}`, up, { [key]: value });
for (const value of WRONG) proxy(`upstream=${String(value)}`, value, {});

// Values of the right type that are wrong, and what issue 19 found accepted.
server('respond body 5', { onConnection: [{ do: 'respond', body: 5 }] });
server('respond status 999', { onConnection: [{ do: 'respond', status: 999 }] });
server('header name with CRLF', { onConnection: [{ do: 'respond', headers: { 'x\r\ny': '1' } }] });
server('header value with LF', { onConnection: [{ do: 'respond', headers: { x: 'a\nb' } }] });
server('cutAfter past the body', { onConnection: [{ do: 'respond', body: 'abc', cutAfter: 4 }] });
server('misspelled respones', { onConnection: [{ do: 'respond', respones: 'x' }] });
server('misspelled option', { onConection: ['reset'] });
server('stepTimeout 0', { ...base, stepTimeout: 0 });
server('holdTimeout 0', { ...base, holdTimeout: 0 });
server('a million scripts', { connections: Array.from({ length: 1_000_000 }, () => ['reset']) });
server('a script of 2,000 steps', { onConnection: Array.from({ length: 2_000 }, () => 'wait:0') });
server('backlog 2^31-1', { ...base, backlog: 2 ** 31 - 1 });
server('host a name', { ...base, host: 'localhost' });
server('host not loopback', { ...base, host: '0.0.0.0' });
server('toxic unknown type', { ...base, toxics: [{ type: 'explode' }] });
server('toxic misspelled field', { ...base, toxics: [{ type: 'latency', latncy: 10 }] });
server('toxic toxicity 2', { ...base, toxics: [{ type: 'latency', latency: 1, toxicity: 2 }] });
server('toxic latency NaN', { ...base, toxics: [{ type: 'latency', latency: NaN }] });
server('toxic stream sideways', { ...base, toxics: [{ type: 'latency', latency: 1, stream: 'sideways' }] });
server('toxic slicer on upstream', { ...base, toxics: [{ type: 'slicer', averageSize: 10, stream: 'upstream' }] });
server('toxic names twice', {
  ...base,
  toxics: [
    { type: 'latency', latency: 1 },
    { type: 'latency', latency: 2 },
  ],
});
server('toxic per chunk on resetPeer', { ...base, toxics: [{ type: 'resetPeer', toxicityPer: 'chunk' }] });
server('failFirst with teapot', { ...base, failFirst: { requests: 1, with: 'teapot' } });
server('failFirst misspelled', { ...base, failFirst: { request: 1, with: 503 } });
server('bytes of a send over 64 MiB', { onConnection: [{ do: 'send', data: new Uint8Array(64 * 1024 * 1024 + 1) }] });
proxy('host 12345', up, { host: 12345 });
proxy('upstream a name', { host: 'localhost', port: up.port }, {});
proxy('upstream URL with a name', `http://localhost:${up.port}/`, {});
const connectedSocket = net.connect(up).on('error', () => {});
proxy('upstream a connected socket', connectedSocket, {});
proxy('request pass "1"', up, { request: { pass: '1', then: 'fin' } });
proxy('response then explode', up, { response: { pass: 1, then: 'explode' } });
proxy('maxConnections 0', up, { maxConnections: 0 });
proxy('toxic bandwidth 0', up, { toxics: [{ type: 'bandwidth', bytesPerSecond: 0 }] });
proxy('toxic limitData then close', up, { toxics: [{ type: 'limitData', bytes: 1, then: 'close' }] });
proxy('toxic probability -0.1', up, { toxics: [{ type: 'packetLoss', probability: -0.1 }] });
cases.push(['faultClient stepTimeout 0', () => faultClient(up, ['reset'], { stepTimeout: 0 })]);
cases.push(['faultClient a name', () => faultClient('http://localhost:1/', ['reset'])]);
cases.push(['faultClient misspelled', () => faultClient(up, ['reset'], { stepTimeOut: 1 })]);

const summary = { cases: cases.length, coded: 0, accepted: [], uncoded: [], connected: 0 };
const accepted = [];
for (const [label, make] of cases) {
  try {
    accepted.push([label, await make()]);
    summary.accepted.push(label);
  } catch (error) {
    if (error instanceof Error && typeof error.code === 'string') summary.coded++;
    else summary.uncoded.push(`${label}: ${String(error)}`);
  }
}

// Whatever was accepted meets a client: a request, garbage, a reset.
async function poke(port) {
  for (const data of ['GET / HTTP/1.1\r\nhost: x\r\n\r\n', Buffer.from([0, 255, 13, 10, 13, 10]), 'x'.repeat(70_000)]) {
    await new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(data));
      socket.on('error', resolve).on('close', resolve);
      setTimeout(() => socket.resetAndDestroy(), 50);
    });
    summary.connected++;
  }
}
for (const [, fixture] of accepted) {
  if (typeof fixture.port === 'number') await poke(fixture.port);
}
await new Promise((resolve) => setTimeout(resolve, 200));
for (const [, fixture] of accepted) await fixture.close();
connectedSocket.destroy();
upstream.close();
process.stdout.write(`S ${JSON.stringify(summary)}\n`);
// Lived to here: whatever still holds the loop (a socket in TIME_WAIT's wake) is not the point.
process.exit(0);
