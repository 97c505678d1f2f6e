/**
 * node:http server that sends the headers and 3 of 100 body bytes, then at once RST (abort() on
 * the next loop turn, as a crashing upstream would): the data and the reset reach the client
 * back to back. The kernel gives the client the 3 bytes, then ECONNRESET; what a Node client
 * makes of it depends on the Node version (fetch's cause, http.get's request 'error'). The raw
 * view is a RawSocket client; the Node view is http.get and fetch against the same server.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { abort } from '../../controls/options.js';
import { RawSocket, type RawFamily } from '../../raw/raw-socket.js';
import type { NodeView } from '../node-view.js';
import { StepLog } from '../step-log.js';
import type { ScenarioResult } from '../types.js';
import { bounded, describeError, hostOf, NODE_CLIENT_BOUND_MS, until, type CatalogCase } from './case.js';

const NAME = 'http-response-reset-mid-body';

/** Runs `body` against the server; `reset()` waits (bounded) until the server has sent its next RST. */
async function withMidBodyResetServer<T>(
  family: RawFamily,
  body: (url: string, reset: () => Promise<boolean>) => Promise<T>,
): Promise<T> {
  let resets = 0;
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('abc');
    const socket = res.socket as net.Socket;
    setImmediate(() => {
      if (!socket.destroyed) abort(socket);
      resets++;
    });
  });
  const host = hostOf(family);
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const url = `http://${family === 6 ? `[${host}]` : host}:${port}/`;
  let seen = 0;
  const reset = async () => {
    if (!(await until(() => resets > seen))) return false;
    seen++;
    return true;
  };
  try {
    return await body(url, reset);
  } finally {
    server.close();
    server.closeAllConnections?.();
  }
}

function recvOutcome(got: Awaited<ReturnType<RawSocket['recv']>>): string {
  if (!got.ok) return got.code;
  return got.bytes === 0 ? 'EOF' : `${got.bytes} bytes`;
}

async function raw(family: RawFamily): Promise<ScenarioResult> {
  const log = new StepLog();
  await withMidBodyResetServer(family, async (url, reset) => {
    const connected = await RawSocket.connect({ host: hostOf(family), port: Number(new URL(url).port), timeout: 3000 });
    log.add(
      { end: 'client', op: 'connect', syscall: 'connect', detail: '', outcome: connected.ok ? 'ok' : connected.code },
      'ok',
    );
    if (!connected.ok) return;
    const client = connected.socket;
    try {
      const sent = await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      log.add({ end: 'client', op: 'send', syscall: 'send', detail: 'request', outcome: sent.ok ? 'ok' : sent.code }, 'ok');
      // The server answers and resets on its own; read only after that, so the 3 bytes and the
      // RST are both queued for this socket, as they are for a client that was busy elsewhere.
      const didReset = await reset();
      log.add(
        {
          end: 'server',
          op: 'abort',
          syscall: 'close',
          detail: 'node:http: headers + 3 bytes, then linger 0 + close',
          outcome: didReset ? 'ok' : 'no reset within 3 s',
        },
        'ok',
      );
      // Read until the headers and the 3 body bytes are in (bounded: at most 10 reads of 3 s).
      let head = '';
      let outcome = 'ok';
      for (let i = 0; i < 10 && !head.includes('\r\n\r\nabc'); i++) {
        const got = await client.recv(4096, { timeout: 3000 });
        if (!got.ok || got.bytes === 0) {
          outcome = recvOutcome(got);
          break;
        }
        head += got.data.toString('latin1');
      }
      log.add(
        {
          end: 'client',
          op: 'recv',
          syscall: 'recv',
          detail: 'headers + 3 of 100 body bytes',
          outcome: head.includes('\r\n\r\nabc') ? 'ok' : outcome,
        },
        'ok',
      );
      const first = await client.recv(4096, { timeout: 3000 });
      log.add({ end: 'client', op: 'recv', syscall: 'recv', detail: '', outcome: recvOutcome(first) }, 'ECONNRESET');
      const second = await client.recv(4096, { timeout: 3000 });
      log.add({ end: 'client', op: 'recv', syscall: 'recv', detail: '', outcome: recvOutcome(second) }, 'EOF');
    } finally {
      client.close();
    }
  });
  return log.result(NAME, family);
}

/** http.get's events until both its request and its response closed (or its own error). */
function httpGetEvents(url: string, events: string[]): Promise<void> {
  return new Promise<void>((resolve) => {
    let open = 2; // req 'close' and res 'close' (or the request's own error without a response)
    const done = () => {
      if (--open <= 0) resolve();
    };
    const req = http.get(url, (res) => {
      events.push(`http.get: response ${res.statusCode}`);
      res.on('data', (chunk: Buffer) => events.push(`res data ${chunk.length}`));
      res.on('aborted', () => events.push('res aborted'));
      res.on('error', (e: NodeJS.ErrnoException) => events.push(`res error ${e.code ?? e.message}`));
      res.on('close', () => {
        events.push('res close');
        done();
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => events.push(`req error ${e.code ?? e.message}`));
    req.on('close', () => {
      events.push('req close');
      done();
    });
  });
}

/** What fetch reports for the same reset: the response, each body chunk, how reading ends. */
async function fetchOutcome(url: string, events: string[]): Promise<string> {
  try {
    const response = await fetch(url);
    const reader = response.body!.getReader();
    events.push(`fetch: response ${response.status}`);
    try {
      // At most 100 more chunks: the server promised 100 bytes in all.
      for (let i = 0; i < 100; i++) {
        const chunk = await reader.read();
        if (chunk.done) return 'fetch body ends without error';
        events.push(`fetch body chunk ${chunk.value.length}`);
      }
      return 'fetch body: still reading';
    } catch (error) {
      return `fetch body rejects ${describeError(error)}`;
    }
  } catch (error) {
    return `fetch rejects ${describeError(error)}`;
  }
}

/** The Node view: the same reset through http.get, then through fetch (one connection each). */
async function node(family: RawFamily): Promise<NodeView> {
  const started = performance.now();
  const events: string[] = [];
  await withMidBodyResetServer(family, async (url) => {
    const late = await bounded(httpGetEvents(url, events), NODE_CLIENT_BOUND_MS, 'http.get');
    if (typeof late === 'string') events.push(late);
    events.push(await bounded(fetchOutcome(url, events), NODE_CLIENT_BOUND_MS, 'fetch'));
  });
  return { events, durationMs: Math.round(performance.now() - started) };
}

export const httpResponseResetMidBody: CatalogCase = {
  name: NAME,
  title: 'node:http: the server sends RST after the headers and 3 of 100 body bytes',
  expectation: 'client recv ECONNRESET, then EOF; what http.get and fetch report depends on the Node version',
  errnos: ['ECONNRESET'],
  note:
    'the Node view differs by Node version only when the data and the RST arrive together (a crashing upstream); ' +
    'a client that has already read the 3 bytes when the RST comes gets ECONNRESET on every version (measured on 20 to 26)',
  timersMs: 0,
  requires: [],
  run: raw,
  node,
};
