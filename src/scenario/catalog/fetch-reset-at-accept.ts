/**
 * A server that resets every connection as soon as it accepts it (SO_LINGER {on, 0} and close,
 * what `faultServer({ onConnection: ['reset'] })` does). The kernel's side is plain: the
 * client's request meets ECONNRESET. What Node's clients make of it is not: measured on Node
 * 20.20, the first `fetch` of a process never settles when such a server runs in the same
 * process (only an AbortSignal ends it), while http.get and a net.Socket get ECONNRESET at once,
 * and Node 22 and later reject the fetch. Only a process's first fetch behaves so, so the Node
 * view runs server and clients in a fresh Node process of the running version, each bounded,
 * after the other cases (isolated).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../../controls/native.js';
import type { RawFamily } from '../../raw/raw-socket.js';
import type { NodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario, hostOf } from './case.js';

/**
 * How long the Node view lets each client run before it is ended. Node 22 and later reject the
 * fetch in ~25 ms (and the child runs alone, after the other cases): 2 s is a wide margin.
 */
const CLIENT_BOUND_MS = 2_000;
/** Bound on the whole child process (Node's own start takes seconds under an emulated kernel). */
const CHILD_BOUND_MS = 30_000;

// Runs in the fresh process, with the built package: a RawSocket listener that resets each
// connection at accept, then fetch (the first of the process), http.get and a net.Socket that
// writes a request, one after the other. Prints one JSON array of events.
// argv: package entry, host, bound ms.
const CHILD = String.raw`
const http = require('node:http');
const net = require('node:net');
const [entry, host, bound] = process.argv.slice(1);
const { RawSocket } = require(entry);
const events = [];
const describe = (e) => (e.code ?? e.name) + (e.cause ? ', cause ' + (e.cause.code ?? e.cause.name) : '');
(async () => {
  const listening = await RawSocket.listen({ host });
  if (!listening.ok) throw new Error('listen ' + listening.code);
  const { socket: listener, address } = listening;
  (async () => {
    for (let i = 0; i < 8 && !listener.closed; i++) {
      const accepted = await listener.accept({ timeout: 10 * Number(bound) });
      if (!accepted.ok) return;
      accepted.socket.abort();
    }
  })();
  const url = 'http://' + (host.includes(':') ? '[' + host + ']' : host) + ':' + address.port + '/';
  // The bound is a timer of our own: AbortSignal.timeout's does not keep the process alive, and
  // a fetch that never settles holds nothing else open, so the process would just exit.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Number(bound));
  try {
    await fetch(url, { signal: controller.signal });
    events.push('fetch resolves');
  } catch (e) {
    events.push(controller.signal.aborted ? 'fetch: no outcome within ' + bound + ' ms (an AbortSignal ended it)' : 'fetch rejects ' + describe(e));
  } finally {
    clearTimeout(timer);
  }
  await new Promise((resolve) => {
    const req = http.get(url, () => { events.push('http.get: response'); resolve(); });
    req.on('error', (e) => { events.push('http.get: req error ' + describe(e)); resolve(); });
    req.setTimeout(Number(bound), () => { events.push('http.get: no outcome within ' + bound + ' ms'); req.destroy(); });
  });
  await new Promise((resolve) => {
    const socket = net.connect({ host, port: address.port }, () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.on('error', (e) => events.push('net.Socket: error ' + e.code + ' (' + e.syscall + ')'));
    socket.on('close', (hadError) => { events.push('net.Socket: close hadError=' + hadError); resolve(); });
    socket.setTimeout(Number(bound), () => { events.push('net.Socket: no outcome within ' + bound + ' ms'); socket.destroy(); });
  });
  listener.close();
  process.stdout.write(JSON.stringify(events));
})().catch((e) => { process.stderr.write(String(e && e.stack)); process.exitCode = 1; });
`;

/** Runs server and clients in a fresh process of this Node and collects what they reported. */
function freshProcess(host: string): Promise<string[]> {
  const entry = path.join(packageRoot, 'dist', 'index.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', CHILD, entry, host, String(CLIENT_BOUND_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: CHILD_BOUND_MS,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', (error) => resolve([`(node view failed: ${error.message})`]));
    child.on('close', (code, signal) => {
      try {
        resolve(JSON.parse(out) as string[]);
      } catch {
        resolve([`(node view failed: exit ${signal ?? code}${err ? `: ${err.trim().split('\n')[0]}` : ''})`]);
      }
    });
  });
}

async function node(family: RawFamily): Promise<NodeView> {
  const started = performance.now();
  const events = await freshProcess(hostOf(family));
  const error = events.find((e) => e.startsWith('net.Socket: error '))?.split(' ')[2];
  return { events, ...(error ? { errorCode: error } : {}), durationMs: Math.round(performance.now() - started) };
}

export const fetchResetAtAccept = fromScenario(
  scenario(
    'fetch-reset-at-accept',
    ({ client, server }) => [
      client.connect().expect('ok'),
      server.accept().expect('ok'),
      server.abort().expect('ok'), // the RST goes out at accept, before the client has written
      client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n').expect('ECONNRESET'),
      client.recv(1).expect('EOF'),
    ],
    { setup: 'listening' },
  ),
  {
    title: 'a server resets each connection at accept: the client request meets RST',
    expectation: "the client's first send ECONNRESET, then EOF; what fetch reports depends on the Node version",
    errnos: ['ECONNRESET'],
    note:
      'on Node 20 the first fetch of a process never settles against a reset at accept (an AbortSignal must end it); ' +
      'http.get and net.Socket get ECONNRESET, and later fetches in the same process reject with cause ECONNRESET',
    timersMs: 0,
    node,
    isolated: true,
  },
);
