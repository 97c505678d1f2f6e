/**
 * The catalog: the kernel-level failure cases sockctl reproduces, each as a scenario (the raw
 * view: every syscall's errno) and, where it tells something, the same case through a
 * net.Socket (the Node view: the events Node emitted).
 */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { RawSocket, type RawFamily } from '../raw/raw-socket.js';
import { scenario, type ScenarioEnds, type Requirement, type Scenario, type ScenarioResult, type StepRecord } from './scenario.js';
import { NodeRecorder, nodeView, type NodeView } from './node-view.js';
import { blackhole, canBlackhole } from '../raw/blackhole.js';
import { canKill, kill } from '../raw/kill.js';
import { abort, setKeepAlive, setUserTimeout } from '../controls/options.js';
import { tcpInfo } from '../controls/tcp-info.js';

export interface CatalogCase {
  name: string;
  /** One line: what the case does. */
  title: string;
  /** What Linux does, in words (the steps carry the exact expectations). */
  expectation: string;
  /** Errno values this case shows. */
  errnos: string[];
  /** A remark shown under the row (e.g. what Linux does not do). */
  note?: string;
  /** Sum of the kernel timers the raw view waits on, ms (0 when it waits on none). */
  timersMs: number;
  /** The raw view. */
  run(family: RawFamily): Promise<ScenarioResult>;
  /** The Node view, when the case has one. */
  node?(family: RawFamily): Promise<NodeView>;
  /** Requirements probed before the case runs. */
  requires: Requirement[];
}

export const BLACKHOLE: Requirement = { name: 'blackhole (CAP_NET_ADMIN)', probe: canBlackhole };
export const KILL: Requirement = { name: 'kill (CAP_NET_ADMIN, INET_DIAG_DESTROY)', probe: canKill };

function fromScenario(
  s: Scenario,
  fields: Omit<CatalogCase, 'name' | 'run' | 'requires'> & { requires?: Requirement[] },
): CatalogCase {
  return { name: s.name, requires: s.options.requires ?? [], ...fields, run: (family) => s.run({ family }) };
}

function skippedView(requires: Requirement[]): string | undefined {
  for (const r of requires) {
    const probe = r.probe();
    if (!probe.ok) return `needs ${r.name}: ${probe.reason ?? 'unavailable'}`;
  }
  return undefined;
}

function guarded(requires: Requirement[], view: (family: RawFamily) => Promise<NodeView>) {
  return async (family: RawFamily): Promise<NodeView> => {
    const skipped = skippedView(requires);
    return skipped ? { events: [], durationMs: 0, skipped } : view(family);
  };
}

const hostOf = (family: RawFamily) => (family === 6 ? '::1' : '127.0.0.1');

/** Waits (bounded) until a Node socket's kernel state reads `state`. */
async function nodeState(socket: net.Socket, state: string, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (socket.destroyed || tcpInfo(socket).state === state) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const unreadDataClose = scenario('unread-data-close', ({ client, server }) => [
  client.send('ab').expect('ok'),
  server.recv(1).expect('ok'),
  server.close().expect('ok'), // 1 byte unread: RST instead of FIN
  client.recv(1).expect('ECONNRESET'),
  client.send('x').expect('EPIPE'),
  client.recv(1).expect('EOF'),
]);

const lingerZeroClose = scenario('linger-zero-close', ({ client, server }) => [
  server.abort().expect('ok'),
  client.recv(1).expect('ECONNRESET'),
  client.recv(1).expect('EOF'),
]);

const writeAfterReset = scenario('write-after-reset', ({ client, server }) => [
  server.abort().expect('ok'),
  client.waitState('CLOSE').expect('ok'),
  client.send('x').expect('ECONNRESET'), // the reset is reported once, to whichever call comes first
  client.send('x').expect('EPIPE'),
  client.recv(1).expect('EOF'),
]);

const connectRefused = scenario('connect-refused', ({ client }) => [client.connect().expect('ECONNREFUSED')], {
  setup: 'closed-port',
});

const closeWaitWrite = scenario('close-wait-write', ({ client, server }) => [
  server.close().expect('ok'), // FIN: nothing was unread
  client.waitState('CLOSE_WAIT').expect('ok'),
  client.send('x').expect('ok'), // succeeds: the peer's kernel answers it with RST
  client.waitState('CLOSE').expect('ok'),
  client.recv(1).expect('EOF'), // not ECONNRESET: the FIN came first
  client.send('y').expect('EPIPE'),
]);

const rstBeforeAccept = scenario(
  'rst-before-accept',
  ({ client, server }) => [
    client.connect().expect('ok'),
    client.abort().expect('ok'),
    server.accept().expect('ok'), // Linux hands over the dead connection
    server.recv(1).expect('ECONNRESET'),
  ],
  { setup: 'listening' },
);

const kernelKill = scenario(
  'kernel-kill',
  ({ client, server }) => [
    server.kill().expect('ok'),
    server.recv(1).expect('ECONNABORTED'),
    client.recv(1).expect('ECONNRESET'),
  ],
  { requires: [KILL] },
);

/** The server goes silent; the client's unacknowledged send times out after 500 ms. */
const timeOutAgainstSilentServer = ({ client, server }: ScenarioEnds) => [
  server.blackhole().expect('ok'),
  client.userTimeout(500).expect('ok'),
  client.send('x').expect('ok'),
  client.waitState('CLOSE', 5000).expect('ok'),
  client.recv(1).expect('ETIMEDOUT'),
];

const userTimeoutSilentPeer = scenario('user-timeout-silent-peer', timeOutAgainstSilentServer, { requires: [BLACKHOLE] });

const keepaliveSilentPeer = scenario(
  'keepalive-silent-peer',
  ({ client, server }) => [
    server.blackhole().expect('ok'),
    client.keepalive({ idle: 1000, interval: 1000, count: 2 }).expect('ok'),
    client.waitState('CLOSE', 8000).expect('ok'),
    client.recv(1).expect('ETIMEDOUT'),
  ],
  { requires: [BLACKHOLE] },
);

const connectSilentListener = scenario(
  'connect-silent-listener',
  ({ client, listener }) => [
    listener.blackhole().expect('ok'),
    client.userTimeout(700).expect('ok'),
    client.connect({ timeout: 5000 }).expect('ETIMEDOUT'),
  ],
  { setup: 'listening', requires: [BLACKHOLE] },
);

const sendAfterShutdown = scenario('send-after-shutdown-write', ({ client, server }) => [
  client.shutdown('write').expect('ok'),
  client.waitState('FIN_WAIT2').expect('ok'), // the FIN went out and was acknowledged
  client.send('x').expect('EPIPE'), // local: no packet leaves
  server.recv(1).expect('EOF'), // the peer sees the FIN and no data
]);

const halfClose = scenario('half-close', ({ client, server }) => [
  server.shutdown('write').expect('ok'),
  client.recv(1).expect('EOF'),
  client.send('pong').expect('ok'),
  server.recv(4).expect('ok'),
  client.waitState('CLOSE_WAIT').expect('ok'),
  server.waitState('FIN_WAIT2').expect('ok'),
]);

const resetDuringLargeSend = scenario('reset-during-large-send', ({ client, server }) => [
  client.fill().expect('ok'), // send buffer and the peer's window full
  server.close().expect('ok'), // megabytes unread: RST
  client.send('x').expect('ECONNRESET'),
  client.send('x').expect('EPIPE'),
]);

const closeLeavesTimeWait = scenario('close-leaves-time-wait', ({ client, server, listener }) => [
  server.close().expect('ok'), // server closes first: it is the one that waits
  client.recv(1).expect('EOF'),
  client.close().expect('ok'),
  listener.timeWait().expect(1),
]);

const abortLeavesNoTimeWait = scenario('abort-leaves-no-time-wait', ({ client, server, listener }) => [
  server.abort().expect('ok'),
  client.recv(1).expect('ECONNRESET'),
  client.close().expect('ok'),
  listener.timeWait().expect(0),
]);

const peerReturnsAfterTimeout = scenario(
  'peer-returns-after-timeout',
  (ends) => [
    ...timeOutAgainstSilentServer(ends),
    ends.server.unblackhole().expect('ok'),
    ends.server.send('late').expect('ok'), // the client's kernel no longer knows the connection
    ends.server.recv(1).expect('ECONNRESET'),
  ],
  { requires: [BLACKHOLE] },
);

/** Records steps of a case written by hand (not with the DSL), in the DSL's step shape. */
function stepRecorder(steps: StepRecord[], started: number) {
  return (end: 'client' | 'server', op: string, detail: string, outcome: string, expected?: string) => {
    steps.push({
      index: steps.length,
      end,
      op,
      syscall: op,
      detail,
      outcome,
      ...(expected !== undefined ? { expected, matched: expected === outcome } : {}),
      states: {},
      atMs: Math.round(performance.now() - started),
      durationMs: 0,
    });
  };
}

/** The verdict of a hand-written case: pass when every recorded expectation matched. */
function resultOf(name: string, family: RawFamily, steps: StepRecord[], started: number): ScenarioResult {
  const failed = steps.find((s) => s.matched === false);
  return {
    name,
    family,
    verdict: failed ? 'fail' : 'pass',
    ...(failed ? { reason: `step ${failed.index} ${failed.op}: expected ${failed.expected}, got ${failed.outcome}` } : {}),
    steps,
    expected: steps.filter((s) => s.expected !== undefined).map((s) => s.expected as string),
    actual: steps.filter((s) => s.expected !== undefined).map((s) => s.outcome),
    durationMs: Math.round(performance.now() - started),
  };
}

/** node:http server; one raw client resets mid-request, a second one must still be served. */
async function httpResetMidRequest(family: RawFamily): Promise<{ result: ScenarioResult; view: NodeView }> {
  const started = performance.now();
  const steps: StepRecord[] = [];
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
  const record = stepRecorder(steps, started);
  try {
    const first = await RawSocket.connect({ host, port, timeout: 3000 });
    record('client', 'connect', '', first.ok ? 'ok' : first.code, 'ok');
    if (first.ok) {
      const sent = await first.socket.send('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
      record('client', 'send', 'headers + 3 of 100 body bytes', sent.ok ? 'ok' : sent.code, 'ok');
      // Bounded wait until the server has the body bytes in hand, so the RST lands mid-request.
      const deadline = performance.now() + 3000;
      while (!events.includes('req data 3') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      const aborted = first.socket.abort();
      record('client', 'abort', 'linger 0 + close', aborted.ok ? 'ok' : aborted.code, 'ok');
      const end = performance.now() + 3000;
      while (!events.includes('req close') && performance.now() < end) await new Promise((r) => setTimeout(r, 2));
      const seen = events.find((e) => e.startsWith('req error '))?.slice('req error '.length) ?? 'no error';
      record('server', 'request', "node:http req 'error'", seen, 'ECONNRESET');
    }
    const second = await RawSocket.connect({ host, port, timeout: 3000 });
    record('client', 'connect', 'second client', second.ok ? 'ok' : second.code, 'ok');
    if (second.ok) {
      await second.socket.send('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const reply = await second.socket.recv(4096, { timeout: 3000 });
      const status = reply.ok ? reply.data.toString('latin1').split('\r\n')[0] : reply.code;
      record('client', 'recv', 'response', status.startsWith('HTTP/1.1 200') ? 'ok' : status, 'ok');
      second.socket.close();
    }
  } finally {
    server.close();
    server.closeAllConnections?.();
  }
  const result = resultOf('http-reset-mid-request', family, steps, started);
  const errorEvent = events.find((e) => e.startsWith('req error '));
  return {
    result,
    view: {
      events,
      ...(errorEvent ? { errorCode: errorEvent.slice('req error '.length) } : {}),
      durationMs: result.durationMs,
    },
  };
}

/**
 * node:http server that sends the headers and 3 of 100 body bytes, then at once RST (abort() on
 * the next loop turn, as a crashing upstream would): the data and the reset reach the client
 * back to back. The kernel gives the client the 3 bytes, then ECONNRESET; what a Node client
 * makes of it depends on the Node version (fetch's cause, http.get's request 'error'). The raw
 * view is a RawSocket client; the Node view is http.get and fetch against the same server.
 * `reset` waits (bounded) until the server has sent its RST.
 */
async function withMidBodyResetServer<T>(family: RawFamily, body: (url: string, reset: () => Promise<boolean>) => Promise<T>): Promise<T> {
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
    const deadline = performance.now() + 3000;
    while (resets <= seen && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    if (resets <= seen) return false;
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

/**
 * How long the Node view waits for http.get's or fetch's outcome. Loopback answers in
 * milliseconds, but an emulated kernel (npm run matrix) running the whole catalog at once
 * took over 3 s once; 10 s still bounds a client that never reports.
 */
const NODE_CLIENT_BOUND_MS = 10_000;

/** Settles `promise` or gives up after `ms`: a Node client that never reports must not hang the catalog. */
function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`${what}: no outcome within ${ms} ms`), ms);
    }),
  ]);
}

async function httpResponseResetMidBody(family: RawFamily): Promise<ScenarioResult> {
  const started = performance.now();
  const steps: StepRecord[] = [];
  const record = stepRecorder(steps, started);
  await withMidBodyResetServer(family, async (url, reset) => {
    const { hostname, port } = new URL(url);
    const connected = await RawSocket.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port), timeout: 3000 });
    record('client', 'connect', '', connected.ok ? 'ok' : connected.code, 'ok');
    if (!connected.ok) return;
    const client = connected.socket;
    try {
      const sent = await client.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      record('client', 'send', 'request', sent.ok ? 'ok' : sent.code, 'ok');
      // The server answers and resets on its own; read only after that, so the 3 bytes and the
      // RST are both queued for this socket, as they are for a client that was busy elsewhere.
      const didReset = await reset();
      record('server', 'abort', 'node:http: headers + 3 bytes, then linger 0 + close', didReset ? 'ok' : 'no reset within 3 s', 'ok');
      // Read until the headers and the 3 body bytes are in (bounded: at most 10 reads of 3 s).
      let head = '';
      let outcome = 'ok';
      for (let i = 0; i < 10 && !head.includes('\r\n\r\nabc'); i++) {
        const got = await client.recv(4096, { timeout: 3000 });
        if (!got.ok) {
          outcome = got.code;
          break;
        }
        if (got.bytes === 0) {
          outcome = 'EOF';
          break;
        }
        head += got.data.toString('latin1');
      }
      record('client', 'recv', 'headers + 3 of 100 body bytes', head.includes('\r\n\r\nabc') ? 'ok' : outcome, 'ok');
      const first = await client.recv(4096, { timeout: 3000 });
      record('client', 'recv', '', first.ok ? (first.bytes === 0 ? 'EOF' : `${first.bytes} bytes`) : first.code, 'ECONNRESET');
      const second = await client.recv(4096, { timeout: 3000 });
      record('client', 'recv', '', second.ok ? (second.bytes === 0 ? 'EOF' : `${second.bytes} bytes`) : second.code, 'EOF');
    } finally {
      client.close();
    }
  });
  return resultOf('http-response-reset-mid-body', family, steps, started);
}

/** How an error reads in the Node view: code or name, and the cause's code or name. */
function describeError(error: unknown): string {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string; name?: string } };
  const own = e.code ?? `${e.name ?? 'Error'} '${e.message ?? ''}'`;
  return e.cause ? `${own}, cause ${e.cause.code ?? e.cause.name ?? '?'}` : own;
}

/** The Node view: the same reset through http.get, then through fetch (one connection each). */
async function httpResponseResetMidBodyView(family: RawFamily): Promise<NodeView> {
  const started = performance.now();
  const events: string[] = [];
  await withMidBodyResetServer(family, async (url) => {
    await bounded(
      new Promise<void>((resolve) => {
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
      }),
      NODE_CLIENT_BOUND_MS,
      'http.get',
    ).then((late) => typeof late === 'string' && events.push(late));
    const outcome = await bounded(
      (async () => {
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
      })().catch((error) => `fetch rejects ${describeError(error)}`),
      NODE_CLIENT_BOUND_MS,
      'fetch',
    );
    events.push(outcome);
  });
  return { events, durationMs: Math.round(performance.now() - started) };
}

/** Every case, in catalog order. */
export const catalog: CatalogCase[] = [
  fromScenario(unreadDataClose, {
    title: 'close() with unread data sends RST (the Go seed)',
    expectation: 'peer recv ECONNRESET, then send EPIPE, then recv EOF',
    errnos: ['ECONNRESET', 'EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(family, async ({ node, raw }) => {
        await node.write('ab');
        await raw.recv(1, { timeout: 3000 });
        raw.close();
      }),
  }),
  fromScenario(lingerZeroClose, {
    title: 'SO_LINGER {on, 0} close (abort) sends RST',
    expectation: 'peer recv ECONNRESET (once), then EOF',
    errnos: ['ECONNRESET'],
    timersMs: 0,
    node: (family) => nodeView(family, async ({ raw }) => void raw.abort()),
  }),
  fromScenario(writeAfterReset, {
    title: 'write after a received RST',
    expectation: 'first send ECONNRESET (reported once), next send EPIPE, recv EOF',
    errnos: ['ECONNRESET', 'EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(family, async ({ node, raw }) => {
        node.socket.pause(); // libuv stops reading: the write is the first to meet the reset
        raw.abort();
        await nodeState(node.socket, 'CLOSE');
        await node.write('x');
        if (!node.socket.destroyed) await node.write('y');
      }),
  }),
  fromScenario(connectRefused, {
    title: 'connect to a port with no listener',
    expectation: 'connect ECONNREFUSED',
    errnos: ['ECONNREFUSED'],
    timersMs: 0,
    node: async (family) => {
      const started = performance.now();
      const holder = RawSocket.create(family);
      holder.bind(hostOf(family), 0);
      const socket = net.connect({ host: hostOf(family), port: holder.localAddress?.port ?? 1 });
      const node = new NodeRecorder(socket);
      await node.settle();
      holder.close();
      return { events: node.events, ...(node.errorCode ? { errorCode: node.errorCode } : {}), ...(node.hadError !== undefined ? { hadError: node.hadError } : {}), durationMs: Math.round(performance.now() - started) };
    },
  }),
  fromScenario(closeWaitWrite, {
    title: 'write in CLOSE_WAIT ("server terminated prematurely")',
    expectation: 'first send succeeds, peer answers RST, recv EOF (not ECONNRESET), next send EPIPE',
    errnos: ['EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(
        family,
        async ({ node, raw }) => {
          raw.close();
          await node.next('end');
          await node.write('x');
          await nodeState(node.socket, 'CLOSE');
          if (!node.socket.destroyed) await node.write('y');
        },
        { allowHalfOpen: true },
      ),
  }),
  fromScenario(rstBeforeAccept, {
    title: 'client resets before the server calls accept()',
    expectation: 'accept succeeds with a dead socket, first recv ECONNRESET',
    note: 'Linux does not return ECONNABORTED (BSD) or EPROTO (SVR4) from accept(): EPROTO is not produced by Linux TCP',
    errnos: ['ECONNRESET'],
    timersMs: 0,
    node: async (family) => {
      const started = performance.now();
      const events: string[] = [];
      const server = net.createServer((socket) => {
        const node = new NodeRecorder(socket);
        events.push('connection');
        void node.settle().then(() => events.push(...node.events));
      });
      server.listen(0, hostOf(family));
      await once(server, 'listening');
      const port = (server.address() as net.AddressInfo).port;
      const client = RawSocket.create(family);
      // Non-blocking connect on loopback completes in the kernel at once; the RST goes out in
      // the same tick, before Node's accept runs.
      await client.connect(hostOf(family), port, { wait: false });
      client.abort();
      const deadline = performance.now() + 3000;
      while (!events.some((e) => e.startsWith('close')) && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      server.close();
      const error = events.find((e) => e.startsWith('error '));
      return { events, ...(error ? { errorCode: error.split(' ')[1] } : {}), durationMs: Math.round(performance.now() - started) };
    },
  }),
  fromScenario(kernelKill, {
    title: 'the kernel destroys a socket (SOCK_DESTROY, `ss -K`)',
    expectation: 'owner recv ECONNABORTED, peer recv ECONNRESET',
    errnos: ['ECONNABORTED', 'ECONNRESET'],
    timersMs: 0,
    node: guarded([KILL], (family) => nodeView(family, async ({ node }) => kill(node.socket))),
  }),
  fromScenario(userTimeoutSilentPeer, {
    title: 'silent peer + TCP_USER_TIMEOUT 500 ms',
    expectation: 'connection dropped, recv ETIMEDOUT after ~0.9 s',
    errnos: ['ETIMEDOUT'],
    timersMs: 500,
    node: guarded([BLACKHOLE], (family) =>
      nodeView(family, async ({ node, raw }) => {
        blackhole(raw);
        setUserTimeout(node.socket, 500);
        await node.write('x');
        await node.next('error', 5000);
      }),
    ),
  }),
  fromScenario(keepaliveSilentPeer, {
    title: 'silent peer + keepalive idle 1 s, interval 1 s, count 2',
    expectation: 'connection dropped, recv ETIMEDOUT after ~3 s',
    errnos: ['ETIMEDOUT'],
    timersMs: 3000,
    node: guarded([BLACKHOLE], (family) =>
      nodeView(family, async ({ node, raw }) => {
        blackhole(raw);
        setKeepAlive(node.socket, { idle: 1000, interval: 1000, count: 2 });
        await node.next('error', 8000);
      }),
    ),
  }),
  fromScenario(connectSilentListener, {
    title: 'connect to a silent listener, TCP_USER_TIMEOUT 700 ms',
    expectation: 'connect ETIMEDOUT after ~1 s',
    errnos: ['ETIMEDOUT'],
    timersMs: 700,
  }),
  fromScenario(sendAfterShutdown, {
    title: "send after our own shutdown('write')",
    expectation: 'send EPIPE locally, no packet; the peer reads EOF',
    errnos: ['EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(family, async ({ node }) => {
        node.socket.end();
        await node.write('x'); // Node refuses before the kernel: ERR_STREAM_WRITE_AFTER_END
      }),
  }),
  fromScenario(halfClose, {
    title: 'half close: the peer shuts down writing',
    expectation: 'we read EOF and can still send; the peer reads it',
    errnos: [],
    timersMs: 0,
    node: (family) =>
      nodeView(
        family,
        async ({ node, raw }) => {
          raw.shutdown('write');
          await node.next('end');
          await node.write('pong');
          await raw.recv(4, { timeout: 3000 });
          node.socket.end(); // our FIN: the connection closes from both sides
          await raw.recv(1, { timeout: 3000 });
          raw.close();
        },
        { allowHalfOpen: true },
      ),
  }),
  fromScenario(resetDuringLargeSend, {
    title: 'RST while a large send is in flight',
    expectation: 'the writer\'s next send fails ECONNRESET, then EPIPE',
    errnos: ['ECONNRESET', 'EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(family, async ({ node, raw }) => {
        node.socket.write(Buffer.alloc(4 << 20, 0x61));
        await raw.recv(1, { timeout: 3000 });
        raw.close(); // megabytes unread: RST
        await node.next('error');
      }),
  }),
  fromScenario(closeLeavesTimeWait, {
    title: 'a normal close leaves TIME_WAIT on the side that closed first',
    expectation: "one TIME_WAIT socket on the server's port",
    errnos: [],
    timersMs: 0,
  }),
  fromScenario(abortLeavesNoTimeWait, {
    title: 'an abort leaves no TIME_WAIT',
    expectation: "no TIME_WAIT socket on the server's port",
    errnos: ['ECONNRESET'],
    timersMs: 0,
  }),
  fromScenario(peerReturnsAfterTimeout, {
    title: 'the peer comes back after we timed out',
    expectation: 'we time out (ETIMEDOUT); its next segment gets RST, its recv ECONNRESET',
    errnos: ['ETIMEDOUT', 'ECONNRESET'],
    timersMs: 500,
  }),
  {
    name: 'http-reset-mid-request',
    title: 'node:http: a client sends RST mid-request; the server keeps serving',
    expectation: "the request sees the reset; the next client gets its 200",
    errnos: ['ECONNRESET'],
    timersMs: 0,
    requires: [],
    run: async (family) => (await httpResetMidRequest(family)).result,
    node: async (family) => (await httpResetMidRequest(family)).view,
  },
  {
    name: 'http-response-reset-mid-body',
    title: 'node:http: the server sends RST after the headers and 3 of 100 body bytes',
    expectation: 'client recv ECONNRESET, then EOF; what http.get and fetch report depends on the Node version',
    errnos: ['ECONNRESET'],
    note:
      'the Node view differs by Node version only when the data and the RST arrive together (a crashing upstream); ' +
      'a client that has already read the 3 bytes when the RST comes gets ECONNRESET on every version (measured on 20 to 26)',
    timersMs: 0,
    requires: [],
    run: httpResponseResetMidBody,
    node: httpResponseResetMidBodyView,
  },
];

/** Errno values the seeds name, with the case that shows each (EPROTO: none on Linux). */
export const ERRNO_COVERAGE: Record<string, string> = {
  ECONNRESET: 'unread-data-close',
  EPIPE: 'write-after-reset',
  ECONNREFUSED: 'connect-refused',
  ETIMEDOUT: 'user-timeout-silent-peer',
  ECONNABORTED: 'kernel-kill',
  EPROTO: 'not produced by Linux TCP (rst-before-accept shows what Linux does instead)',
};
