/**
 * node:http server; one raw client resets mid-request, a second one must still be served. The
 * raw view and the Node view come from the same run: the client's syscalls and the server's
 * request events.
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { RawFamily } from '../../raw/raw-socket.js';
import { RawSocket } from '../../raw/raw-socket.js';
import type { NodeView } from '../node-view.js';
import { StepLog } from '../step-log.js';
import type { ScenarioResult } from '../types.js';
import { hostOf, until, type CatalogCase } from './case.js';

const NAME = 'http-reset-mid-request';

async function run(family: RawFamily): Promise<{ result: ScenarioResult; view: NodeView }> {
  const log = new StepLog();
  const events: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.url !== '/upload') {
      res.end('served');
      return;
    }
    req.on('aborted', () => events.push('req aborted'));
    req.on('error', (e: NodeJS.ErrnoException) => events.push(`req error ${e.code}`));
    req.on('close', () => events.push('req close'));
    req.on('data', (chunk: Buffer) => events.push(`req data ${chunk.length}`));
    res.on('close', () => events.push(`res close (finished=${res.writableFinished})`));
  });
  server.on('clientError', (e: NodeJS.ErrnoException) => events.push(`server clientError ${e.code}`));
  const host = hostOf(family);
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  // The syscall each op makes (abort: close after SO_LINGER 0); the server's side is only observed.
  const SYSCALLS = { connect: 'connect', send: 'send', recv: 'recv', abort: 'close', request: 'check' } as const;
  const step = (end: 'client' | 'server', op: keyof typeof SYSCALLS, detail: string, outcome: string, expected: string) =>
    log.add({ end, op, syscall: SYSCALLS[op], detail, outcome }, expected);
  try {
    const first = await RawSocket.connect({ host, port, timeout: 3000 });
    step('client', 'connect', '', first.ok ? 'ok' : first.code, 'ok');
    if (first.ok) {
      const sent = await first.socket.send('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
      step('client', 'send', 'headers + 3 of 100 body bytes', sent.ok ? 'ok' : sent.code, 'ok');
      // The server has the body bytes in hand before the RST, so it lands mid-request.
      await until(() => events.includes('req data 3'));
      const aborted = first.socket.abort();
      step('client', 'abort', 'linger 0 + close', aborted.ok ? 'ok' : aborted.code, 'ok');
      await until(() => events.includes('req close'));
      const seen = events.find((e) => e.startsWith('req error '))?.slice('req error '.length) ?? 'no error';
      step('server', 'request', "node:http req 'error'", seen, 'ECONNRESET');
    }
    const second = await RawSocket.connect({ host, port, timeout: 3000 });
    step('client', 'connect', 'second client', second.ok ? 'ok' : second.code, 'ok');
    if (second.ok) {
      await second.socket.send('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const reply = await second.socket.recv(4096, { timeout: 3000 });
      const status = reply.ok ? reply.data.toString('latin1').split('\r\n')[0] : reply.code;
      step('client', 'recv', 'response', status.startsWith('HTTP/1.1 200') ? 'ok' : status, 'ok');
      second.socket.close();
    }
  } finally {
    server.close();
    server.closeAllConnections?.();
  }
  const result = log.result(NAME, family);
  const errorEvent = events.find((e) => e.startsWith('req error '));
  return {
    result,
    view: { events, ...(errorEvent ? { errorCode: errorEvent.slice('req error '.length) } : {}), durationMs: result.durationMs },
  };
}

export const httpResetMidRequest: CatalogCase = {
  name: NAME,
  title: 'node:http: a client sends RST mid-request; the server keeps serving',
  expectation: 'the request sees the reset; the next client gets its 200',
  errnos: ['ECONNRESET'],
  timersMs: 0,
  requires: [],
  run: async (family) => (await run(family)).result,
  node: async (family) => (await run(family)).view,
};
