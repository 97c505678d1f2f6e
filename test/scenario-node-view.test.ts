// The Node view's recorder (src/scenario/node-view.ts) on its own: a net.Socket client of a raw
// server, every event in order, the error's code and syscall, write callbacks, the bounds of
// settle() and next(), and the half-open option.
import { describe, expect, it } from 'vitest';
import { NodeRecorder, nodeClientRawServer, nodeView } from '../src/scenario/node-view.js';

describe.each([4, 6] as const)('the Node view on v%i', (family) => {
  it("a FIN after data: 'data', 'end', then 'close' without error; 'connect' left out", async () => {
    const view = await nodeView(family, async ({ raw, node }) => {
      expect(node.events).toEqual(['connect']);
      await raw.send('abc');
      expect(raw.shutdown('write').ok).toBe(true);
      expect(await node.next('end')).toBe(true);
    });
    expect(view.events).toEqual(['data 3', 'end', 'close hadError=false']);
    expect(view.hadError).toBe(false);
    expect(view).not.toHaveProperty('errorCode');
    expect(view.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("an RST: the error with its code and syscall, then 'close' with hadError", async () => {
    const view = await nodeView(family, async ({ raw }) => {
      raw.abort();
    });
    expect(view.events).toEqual(['error ECONNRESET (read)', 'close hadError=true']);
    expect(view).toMatchObject({ errorCode: 'ECONNRESET', hadError: true });
  });

  it("write(): its callback's outcome is an event", async () => {
    const view = await nodeView(family, async ({ raw, node }) => {
      await node.write('x');
      expect((await raw.recv(1, { timeout: 3_000 })).ok).toBe(true);
      raw.abort();
    });
    expect(view.events[0]).toBe('write-cb ok');
  });

  it('allowHalfOpen: the peer FIN leaves the socket open, so settle() ends it at its bound and says so', async () => {
    const pair = await nodeClientRawServer(family, { allowHalfOpen: true });
    try {
      expect(pair.node.socket.remoteAddress).toBe(family === 6 ? '::1' : '127.0.0.1');
      expect(pair.raw.shutdown('write').ok).toBe(true);
      expect(await pair.node.next('end')).toBe(true);
      const start = performance.now();
      await pair.node.settle(150);
      expect(performance.now() - start).toBeGreaterThanOrEqual(140);
      expect(pair.node.events).toEqual(['connect', 'end', '(no close within 150 ms)']);
      expect(pair.node.socket.destroyed).toBe(true);
      expect(await pair.node.next('close')).toBe(true);
      expect(pair.node.events.at(-1)).toBe('close hadError=false');
    } finally {
      pair.close();
    }
  });
});

describe('NodeRecorder', () => {
  it('next() waits for an event by prefix and gives up after its bound; view() has no code or hadError before there is one', async () => {
    const pair = await nodeClientRawServer(4);
    try {
      const recorder: NodeRecorder = pair.node;
      expect(recorder.view()).toStrictEqual({ events: ['connect'] });
      const start = performance.now();
      expect(await recorder.next('data', 120)).toBe(false);
      expect(performance.now() - start).toBeGreaterThanOrEqual(110);
      expect(await recorder.next('conn', 120)).toBe(true);
      pair.node.socket.emit('error', Object.assign(new Error('made up'), {}));
      expect(recorder.events.at(-1)).toBe('error made up');
    } finally {
      pair.close();
    }
  });
});
