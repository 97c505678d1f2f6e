// What the fixtures do when the kernel refuses a socket filter or a packet socket: refused up
// front with the probe's code and what is missing, or, when the privilege goes away while a
// fixture runs, recorded (never thrown into the process). The privilege is taken away in this
// process with seteuid(65534): the effective capabilities go, the permitted ones stay (the real
// and saved uids are still 0), and seteuid(0) brings them back. Needs root.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { canBlackhole, canCapture, faultClient, faultProxy, faultServer } from '../src/index.js';
import { until } from './helpers.js';
import { connect, keeper, listening } from './faults-helpers.js';

const NOBODY = 65534;

/** Runs `fn` with the effective uid 65534 (no effective capabilities); always restores uid 0. */
function asNobody<T>(fn: () => T): T {
  process.seteuid!(NOBODY);
  try {
    return fn();
  } finally {
    process.seteuid!(0);
  }
}

/** Takes the effective capabilities away until the returned function is called. */
function dropPrivilege(): () => void {
  process.seteuid!(NOBODY);
  return () => {
    if (process.geteuid!() !== 0) process.seteuid!(0);
  };
}

const root = process.geteuid?.() === 0;
// The filter probe as root and as uid 65534 (before any capture is opened here: canCapture keeps
// a yes once a packet socket exists).
const filterAsRoot = canBlackhole();
const filterAsNobody = root ? asNobody(() => canBlackhole()) : { ok: true };
const captureAsNobody = root ? asNobody(() => canCapture()) : { ok: true };
const skip = !root
  ? ' (skipped: needs root, to drop and regain the effective capabilities)'
  : !filterAsRoot.ok
    ? ` (skipped: ${filterAsRoot.code}: ${filterAsRoot.reason})`
    : filterAsNobody.ok
      ? ' (skipped: this kernel attaches socket filters without CAP_NET_ADMIN)'
      : '';
const skipCapture = !root
  ? ' (skipped: needs root)'
  : captureAsNobody.ok
    ? ' (skipped: this kernel opens packet sockets without CAP_NET_RAW)'
    : '';

describe('refused up front', () => {
  it.skipIf(skipCapture !== '')(`capture: true without CAP_NET_RAW: EPERM from socket(AF_PACKET)${skipCapture}`, async () => {
    const made = asNobody(() => faultServer({ onConnection: ['reset'], capture: true }));
    await expect(made).rejects.toMatchObject({ code: 'EPERM', syscall: 'socket', option: 'AF_PACKET', missing: 'CAP_NET_RAW' });
    await expect(made).rejects.toThrow(/^faultServer option 'capture' needs a packet socket: /);
  });

  it.skipIf(skip !== '')(`a 'silent' step without CAP_NET_ADMIN: EPERM from setsockopt(SO_ATTACH_FILTER)${skip}`, async () => {
    const made = asNobody(() => faultServer({ onConnection: ['silent'] }));
    await expect(made).rejects.toMatchObject({
      code: 'EPERM',
      syscall: 'setsockopt',
      option: 'SO_ATTACH_FILTER',
      missing: 'CAP_NET_ADMIN',
    });
    await expect(made).rejects.toThrow(/^faultServer step 'silent' needs a socket filter: /);
  });
});

describe('faultClient without the privileges', () => {
  it.skipIf(skip !== '' || skipCapture !== '')(
    `'silent' and capture are refused up front; a client needing neither connects${skip}${skipCapture}`,
    async (context) => {
      const keep = keeper(context);
      const server = keep(await faultServer({ onConnection: ['read:2', 'reset'] }));
      const silent = asNobody(() => faultClient(server, ['silent']));
      await expect(silent).rejects.toMatchObject({ code: 'EPERM', missing: 'CAP_NET_ADMIN' });
      await expect(silent).rejects.toThrow(/^faultClient step 'silent' needs a socket filter: /);
      const capturing = asNobody(() => faultClient(server, ['reset'], { capture: true }));
      await expect(capturing).rejects.toMatchObject({ code: 'EPERM', missing: 'CAP_NET_RAW' });
      await expect(capturing).rejects.toThrow(/^faultClient option 'capture' needs a packet socket: /);
      const restore = dropPrivilege();
      let record;
      try {
        const client = await faultClient(server, [{ do: 'send', data: 'ok' }, 'read:1']);
        context.onTestFinished(() => client.close());
        record = await client.done;
      } finally {
        restore();
      }
      expect(record).toMatchObject({ end: 'peer-reset', bytesSent: 2, errors: [] });
      expect((await server.settled(1))[0]).toMatchObject({ end: 'reset', bytesReceived: 2 });
    },
  );
});

describe('the privilege gone while a fixture runs', () => {
  it.skipIf(skip !== '')(
    `a faultClient whose 'silent' step is refused: the error recorded, end error, the server sees a reset${skip}`,
    async (context) => {
      const keep = keeper(context);
      const server = keep(await faultServer({ onConnection: ['read:10'] }));
      // Checked as root; the step runs once connected, by then without the capability.
      const pending = faultClient(server, ['silent']);
      const restore = dropPrivilege();
      let record;
      try {
        const client = await pending;
        context.onTestFinished(() => client.close());
        record = await client.done;
      } finally {
        restore();
      }
      expect(record).toMatchObject({ end: 'error', errors: ['EPERM'], steps: [] });
      const [seen] = await server.settled(1);
      expect(seen.end).toBe('peer-reset');
    },
  );

  it.skipIf(skip !== '')(
    `a listener filter refused on updateToxic: recorded in errors (the first 100), the call resolves${skip}`,
    async (context) => {
      const keep = keeper(context);
      const server = keep(await faultServer({ onConnection: ['reset'], toxics: [{ type: 'packetLoss', probability: 0.1 }] }));
      expect(server.errors).toEqual([]);
      const restore = dropPrivilege();
      try {
        for (let i = 0; i < 105; i++) {
          await server.updateToxic('packetLoss_upstream', { probability: i % 2 === 0 ? 0.2 : 0.3 });
        }
      } finally {
        restore();
      }
      // The last change (i = 104) holds, though the kernel refused its filter.
      expect(server.toxics[0]).toMatchObject({ type: 'packetLoss', probability: 0.2 });
      expect(server.errors).toHaveLength(100);
      for (const error of server.errors) expect(error).toEqual({ at: expect.any(Number), code: 'EPERM', syscall: 'setsockopt' });
    },
  );

  it.skipIf(skip !== '')(
    `faultProxy response { pass: 0, then: 'silent' } refused: 'silent EPERM' recorded, bytes not forwarded${skip}`,
    async (context) => {
      const keep = keeper(context);
      const api = keep(
        await listening(
          net.createServer((socket) => socket.end('never forwarded')),
          '127.0.0.1',
        ),
      );
      const proxy = keep(await faultProxy(api, { response: { pass: 0, then: 'silent' } }));
      let received = 0;
      const restore = dropPrivilege();
      try {
        const client = keep(await connect(proxy.port, proxy.address));
        client.on('data', (chunk: Buffer) => (received += chunk.byteLength));
        await until(() => (proxy.connections[0]?.errors.length ?? 0) > 0, 3_000);
      } finally {
        restore();
      }
      // The upstream's answer and FIN arrived at the proxy; nothing goes on to the client.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(received).toBe(0);
      const record = proxy.connections[0];
      expect(record.actions).toEqual(['response-silent']);
      expect(record.errors).toEqual(['silent EPERM']);
      expect(record.responseBytes).toBe(0);
    },
  );
});
