// The DSL on a case that is not in the catalog, as a user would write it.
import { describe, expect, it } from 'vitest';
import { scenario } from '../src/index.js';

describe('scenario DSL', () => {
  it("records each syscall, its errno and both ends' TCP states", async () => {
    const result = await scenario('reset after a partial read, seen by a reader that shut down writing', ({ client, server }) => [
      client.shutdown('write').expect('ok'),
      client.waitState('FIN_WAIT2').expect('ok'), // our FIN was acknowledged
      server.recv(10).expect('EOF'),
      server.send('hello').expect('ok'),
      client.recv(2).expect('ok'),
      client.close().expect('ok'), // 3 bytes unread: RST
      server.waitState('CLOSE').expect('ok'),
      // In CLOSE_WAIT the kernel records a received RST as EPIPE, not ECONNRESET (tcp_reset).
      server.send('x').expect('EPIPE'),
      server.recv(1).expect('EOF'),
    ]).run({ family: 6 });
    expect(result.verdict).toBe('pass');
    const byOp = result.steps.map((s) => `${s.end}.${s.op}=${s.outcome}`);
    expect(byOp).toEqual([
      'client.shutdown=ok',
      'client.waitState=ok',
      'server.recv=EOF',
      'server.send=ok',
      'client.recv=ok',
      'client.close=ok',
      'server.waitState=ok',
      'server.send=EPIPE',
      'server.recv=EOF',
    ]);
    expect(result.steps[2].states).toMatchObject({ client: 'FIN_WAIT2', server: 'CLOSE_WAIT' });
    expect(result.steps[4].bytes).toBe(2);
    expect(result.steps[7]).toMatchObject({ errno: -32, syscall: 'send', matched: true });
    expect(result.steps[8].states.server).toBe('CLOSE');
  });

  it('a wrong expectation makes a failing verdict that shows both sides', async () => {
    const result = await scenario('wrong on purpose', ({ client, server }) => [
      server.abort(),
      client.recv(1).expect('EOF'), // Linux says ECONNRESET
    ]).run();
    expect(result.verdict).toBe('fail');
    expect(result.expected).toEqual(['EOF']);
    expect(result.actual).toEqual(['ECONNRESET']);
    expect(result.steps[1]).toMatchObject({ matched: false, expected: 'EOF', outcome: 'ECONNRESET' });
  });

  it('a mismatch after matching steps still fails the verdict, naming that step', async () => {
    const result = await scenario('right, right, wrong', ({ client, server }) => [
      client.send('ab').expect('ok'),
      server.recv(1).expect('ok'),
      server.close().expect('ok'),
      client.recv(1).expect('ECONNRESET'),
      client.send('x').expect('ECONNRESET'), // Linux says EPIPE: the reset was reported once
    ]).run();
    expect(result.verdict).toBe('fail');
    expect(result.reason).toMatch(/^step 4 client\.send:/);
    expect(result.actual).toEqual(['ok', 'ok', 'ok', 'ECONNRESET', 'EPIPE']);
    expect(result.steps.map((s) => s.matched)).toEqual([true, true, true, true, false]);
  });

  it('a step that throws makes an error verdict, and the sockets are closed anyway', async () => {
    const result = await scenario('too early', ({ server }) => [server.send('x')], { setup: 'listening' }).run();
    expect(result.verdict).toBe('error');
    expect(result.steps).toEqual([]);
  });

  it('a wait that runs out says so instead of hanging', async () => {
    const started = Date.now();
    const result = await scenario('nothing comes', ({ client }) => [client.recv(1, { timeout: 50 }).expect('EAGAIN')]).run();
    expect(result.verdict).toBe('pass');
    expect(result.steps[0].timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('describe() lists the declared steps without running them', () => {
    const s = scenario('x', ({ client, server }) => [client.send('ab'), server.recv(1).expect('ok')]);
    expect(s.describe()).toEqual([
      { end: 'client', op: 'send', detail: "'ab'" },
      { end: 'server', op: 'recv', detail: '1 byte', expected: 'ok' },
    ]);
  });

  it('refuses a non-function body', () => {
    expect(() => scenario('x', 3 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
