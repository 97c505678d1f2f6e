// The scenario DSL's less travelled paths (src/scenario/scenario.ts, end.ts, actions/io.ts,
// actions/options.ts, actions/observe.ts): argument checks, unmet requirements, steps that throw,
// user-made steps, the details each step factory writes, and the observe/option steps run on
// real loopback sockets.
import { describe, expect, it } from 'vitest';
import { scenario } from '../src/index.js';
import { BLACKHOLE, SNAPSHOT } from '../src/scenario/catalog/case.js';
import { Scenario, Step } from '../src/scenario/scenario.js';

const snapshot = SNAPSHOT.probe();
const snapshotSkip = snapshot.ok ? '' : ` (skipped: ${snapshot.reason})`;
const silence = BLACKHOLE.probe();
const silenceSkip = silence.ok ? '' : ` (skipped: ${silence.reason})`;

describe('scenario() and run() refuse bad arguments with coded errors', () => {
  const build = () => [];

  it('checks the name, the build function and the options', () => {
    expect(() => scenario(42 as never, build)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => scenario('x', 'no' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => scenario('x', build, { setup: 'half-open' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => scenario('x', build, { requires: 'blackhole' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => scenario('x', build, { requires: [{ name: 'no probe' }] as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => scenario('x', build, { requires: [null] as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    const fine = scenario('x', build, { requires: [{ name: 'always', probe: () => ({ ok: true }) }] });
    expect(fine).toBeInstanceOf(Scenario);
  });

  it('run() refuses a receiver that is not a Scenario, and bad run options', async () => {
    const s = scenario('x', build);
    await expect(s.run.call({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(s.run({ family: 5 as never })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(s.run({ wire: 'yes' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('unmet requirements make a skipped result without running a step', () => {
  it('names the requirement and its reason, or "unavailable" when the probe gives none', async () => {
    let built = 0;
    const steps = () => {
      built++;
      return [];
    };
    const silent = await scenario('silent probe', steps, { requires: [{ name: 'thing', probe: () => ({ ok: false }) }] }).run({
      family: 6,
    });
    expect(silent).toStrictEqual({
      name: 'silent probe',
      family: 6,
      verdict: 'skipped',
      reason: 'needs thing: unavailable',
      unmet: 'thing',
      steps: [],
      expected: [],
      actual: [],
      durationMs: 0,
    });
    const told = await scenario('told', steps, {
      requires: [
        { name: 'met', probe: () => ({ ok: true }) },
        { name: 'other', probe: () => ({ ok: false, reason: 'not on this host' }) },
      ],
    }).run();
    expect(told).toMatchObject({ verdict: 'skipped', reason: 'needs other: not on this host', unmet: 'other', family: 4 });
    expect(built).toBe(0);
  });

  it('a scenario that forges is skipped when run with wire: false, saying why', async () => {
    const result = await scenario('forges', ({ server }) => [server.forgeReset('next')]).run({ wire: false });
    expect(result).toMatchObject({ verdict: 'skipped', steps: [], expected: [], actual: [] });
    expect(result.unmet).toBe('capture (CAP_NET_RAW)');
    expect(result.reason).toBe(`needs ${result.unmet}: forge steps take their numbers from it (wire: false given)`);
    expect(result.wire).toBeUndefined();
  });
});

describe('steps made by hand', () => {
  it('a Step made without the forges flag neither forges nor makes the run capture', async () => {
    const custom = () => [new Step('client', 'custom', 'by hand', () => ({ syscall: 'none', outcome: 'fine' })).expect('fine')];
    const s = scenario('custom', custom);
    expect(s.describe()).toStrictEqual([{ end: 'client', op: 'custom', detail: 'by hand', expected: 'fine' }]);
    const result = await s.run();
    expect(result.verdict).toBe('pass');
    expect(result).not.toHaveProperty('wire');
    expect(result.steps[0]).toMatchObject({ syscall: 'none', outcome: 'fine', matched: true });
  });

  it('a step that throws nothing still makes an error verdict with a reason', async () => {
    const result = await scenario('throws nothing', () => [
      new Step('client', 'custom', '', () => {
        throw undefined;
      }),
    ]).run();
    expect(result.verdict).toBe('error');
    expect(result.steps).toEqual([]);
    // The reason names an Error with a description, not an empty one.
    expect(result.reason).toMatch(/^Error: \S/);
  });
});

describe('what each step factory writes as its detail', () => {
  it('linger, keepalive, option, waitReadable, send of bytes and long strings, forge from an end', () => {
    const s = scenario('details', ({ client, server, listener }) => [
      client.linger(null),
      client.linger(2000),
      client.keepalive({ idle: 1000 }),
      client.keepalive({ idle: 1000, interval: 2000, count: 3 }),
      client.option(6, 1, 1),
      client.waitReadable(),
      client.waitReadable(50),
      client.send(new Uint8Array(3)),
      client.send('x'.repeat(17)),
      client.send('x'.repeat(16)),
      client.recv(1),
      client.recv(),
      listener.forge({ flags: 'S', seq: 1, from: 'client' }),
      server.forge({ flags: 'R', seq: 7 }),
    ]);
    expect(s.describe().map((d) => `${d.end}.${d.op} ${d.detail}${d.forges ? ' (forges)' : ''}`)).toEqual([
      'client.linger off',
      'client.linger 2000 ms',
      'client.keepalive idle=1000 interval=- count=-',
      'client.keepalive idle=1000 interval=2000 count=3',
      'client.option 6/1=1',
      'client.waitReadable 5000 ms',
      'client.waitReadable 50 ms',
      'client.send 3 bytes',
      'client.send 17 bytes',
      `client.send '${'x'.repeat(16)}'`,
      'client.recv 1 byte',
      'client.recv 65536 bytes',
      'listener.forge S from client (forges)',
      'server.forge R (forges)',
    ]);
  });
});

describe('option and observe steps on real sockets', () => {
  it('linger(0) makes close send RST; linger(null) leaves close a FIN', async () => {
    const reset = await scenario('linger 0', ({ client, server }) => [
      server.linger(0).expect('ok'),
      server.close().expect('ok'),
      client.recv(1).expect('ECONNRESET'),
    ]).run();
    expect(reset.verdict, reset.reason).toBe('pass');
    expect(reset.steps[0]).toMatchObject({ syscall: 'setsockopt', outcome: 'ok' });
    const fin = await scenario('linger off', ({ client, server }) => [
      server.linger(null).expect('ok'),
      server.close().expect('ok'),
      client.recv(1).expect('EOF'),
    ]).run({ family: 6 });
    expect(fin.verdict, fin.reason).toBe('pass');
  });

  it('option() reaches the kernel: a valid one is ok, one the kernel does not know errors with its errno', async () => {
    const ok = await scenario('nodelay', ({ client }) => [client.option(6, 1, 1).expect('ok')]).run();
    expect(ok.verdict, ok.reason).toBe('pass');
    expect(ok.steps[0]).toMatchObject({ syscall: 'setsockopt', outcome: 'ok' });
    // TCP option 9999 does not exist: setsockopt(2) fails ENOPROTOOPT, and the run says so.
    const unknown = await scenario('unknown option', ({ client }) => [client.option(6, 9999, 1)]).run();
    expect(unknown.verdict).toBe('error');
    expect(unknown.reason).toMatch(/^ENOPROTOOPT: /);
  });

  it('waitReadable: times out on a quiet socket, then is ok once data is queued', async () => {
    const result = await scenario('readable', ({ client, server }) => [
      client.waitReadable(50).expect('timeout'),
      server.send('x').expect('ok'),
      client.waitReadable().expect('ok'),
      client.recv(10).expect('ok'),
    ]).run();
    expect(result.verdict, result.reason).toBe('pass');
    expect(result.steps[0]).toMatchObject({ syscall: 'poll', outcome: 'timeout', timedOut: true });
    expect(result.steps[0].durationMs).toBeGreaterThanOrEqual(40);
    expect(result.steps[2]).toMatchObject({ syscall: 'poll', outcome: 'ok' });
    expect(result.steps[2]).not.toHaveProperty('timedOut');
    expect(result.steps[3].bytes).toBe(1);
  });

  it('waitState with no time left gives the state it read, marked timed out', async () => {
    // A bound of 0: the state is read once, and the step returns without waiting.
    const result = await scenario('never closes', ({ client }) => [
      client.waitState('CLOSE', 0),
      client.waitState('ESTABLISHED', 0).expect('ok'),
    ]).run();
    expect(result.verdict, result.reason).toBe('pass');
    expect(result.steps[0]).toMatchObject({ syscall: 'wait', outcome: 'ESTABLISHED', timedOut: true });
    expect(result.steps[1]).toMatchObject({ syscall: 'wait', outcome: 'ok' });
    expect(result.steps[1]).not.toHaveProperty('timedOut');
  });

  it('waitState for a state that never comes times out at its bound (a bound not a multiple of the poll step)', async () => {
    const started = performance.now();
    const result = await scenario('never closes', ({ client }) => [client.waitState('CLOSE', 63)]).run();
    expect(result.verdict, result.reason).toBe('pass');
    expect(result.steps[0]).toMatchObject({ syscall: 'wait', outcome: 'ESTABLISHED', timedOut: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(60);
  });

  it('timeWait with an expectation it never meets waits out its bound, then gives the count', async () => {
    const result = await scenario('one time-wait', ({ client, server, listener }) => [
      server.close().expect('ok'),
      client.recv(1).expect('EOF'),
      client.close().expect('ok'),
      listener.timeWait().expect(1),
      listener.timeWait(200).expect(2),
    ]).run();
    expect(result.steps.map((s) => s.outcome)).toEqual(['ok', 'EOF', 'ok', '1', '1']);
    expect(result.steps[4]).toMatchObject({ syscall: 'check', matched: false });
    expect(result.steps[4].durationMs).toBeGreaterThanOrEqual(150);
    expect(result.steps[4].durationMs).toBeLessThan(5000);
    expect(result.verdict).toBe('fail');
    expect(result.reason).toBe('step 4 listener.timeWait: expected 2, kernel gave 1');
  });

  it.skipIf(!snapshot.ok)(`leakCheck names 'none' for a socket with no connection${snapshotSkip}`, async () => {
    const result = await scenario(
      'nothing to name',
      ({ client }) => [client.leakCheck().expect('none'), client.connect().expect('ok'), client.leakCheck()],
      { setup: 'listening' },
    ).run();
    expect(result.verdict, result.reason).toBe('pass');
    expect(result.steps[0]).toStrictEqual(expect.objectContaining({ syscall: 'sock_diag', outcome: 'none' }));
    expect(result.steps[0]).not.toHaveProperty('report');
    expect(result.steps[2]).toMatchObject({ syscall: 'sock_diag', outcome: 'ESTABLISHED' });
    expect(result.steps[2].report).toEqual(expect.any(String));
  });

  it('fill stops at maxBytes, and reports the errno (with the bytes so far) when a send fails', async () => {
    const result = await scenario('fill', ({ client, server }) => [
      client.fill({ maxBytes: 1000 }).expect('ok'),
      server.abort().expect('ok'),
      client.waitState('CLOSE').expect('ok'),
      client.fill().expect('ECONNRESET'),
    ]).run();
    expect(result.verdict, result.reason).toBe('pass');
    expect(result.steps[0]).toMatchObject({ syscall: 'send', outcome: 'ok', detail: 'up to 1000 bytes' });
    expect(result.steps[0].bytes).toBeGreaterThanOrEqual(1000);
    expect(result.steps[0].bytes).toBeLessThanOrEqual(65536);
    expect(result.steps[3]).toMatchObject({ syscall: 'send', outcome: 'ECONNRESET', errno: -104, bytes: 0 });
  });

  it('fill runs to EAGAIN without waiting; the bounds given to accept, recv and send are the ones they wait', async () => {
    const result = await scenario(
      'bounds',
      ({ client, listener }) => [
        listener.accept({ timeout: 40 }),
        client.connect({ timeout: 2000 }).expect('ok'),
        listener.accept({ timeout: 2000 }).expect('ok'),
        client.recv(10, { timeout: 40 }),
        // The server never reads: the client's send buffer and the server's window fill up.
        client.fill().expect('ok'),
        // Loopback goes on moving the queue into the server's window for a while: once it has
        // (no data comes back meanwhile), a second fill leaves no room at all.
        client.waitReadable(100).expect('timeout'),
        client.fill().expect('ok'),
        client.send('x', { timeout: 40 }),
      ],
      { setup: 'listening' },
    ).run();
    const bounded = [0, 3, 7].map((i) => result.steps[i]);
    for (const step of bounded) {
      expect(step, step.op).toMatchObject({ outcome: 'EAGAIN', timedOut: true });
      expect(step.durationMs, step.op).toBeGreaterThanOrEqual(35);
      expect(step.durationMs, step.op).toBeLessThan(2000);
    }
    expect(result.steps[4]).toMatchObject({ syscall: 'send', outcome: 'ok' });
    expect(result.steps[4].bytes).toBeGreaterThan(65536);
    expect(result.steps[4].durationMs).toBeLessThan(2000);
    expect(result.steps[4]).not.toHaveProperty('timedOut');
  });

  it.skipIf(!silence.ok)(`connect to a silent listener waits the bound it is given${silenceSkip}`, async () => {
    const result = await scenario(
      'silent',
      ({ client, listener }) => [listener.blackhole().expect('ok'), client.connect({ timeout: 60 })],
      { setup: 'listening' },
    ).run();
    expect(result.steps[1]).toMatchObject({ syscall: 'connect', timedOut: true });
    expect(result.steps[1].durationMs).toBeGreaterThanOrEqual(55);
    expect(result.steps[1].durationMs).toBeLessThan(2000);
  });

  it('sends bytes given as a Uint8Array', async () => {
    const result = await scenario('bytes', ({ client, server }) => [
      client.send(new Uint8Array([1, 2, 3])).expect('ok'),
      server.recv(10).expect('ok'),
    ]).run();
    expect(result.verdict, result.reason).toBe('pass');
    expect(result.steps.map((s) => s.bytes)).toEqual([3, 3]);
  });
});
