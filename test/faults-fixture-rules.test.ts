// A fixture's live rules (src/faults/rules.ts), driven directly: what each change hands to the
// open connections, the copies it returns, the filter it puts on a real listening socket for what
// a new connection meets before accept(), and the failures it records.
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureRules } from '../src/faults/rules.js';
import { normalizeToxic, PROXY_SCOPE, type ActiveToxic } from '../src/faults/toxics.js';
import { canBlackhole } from '../src/raw/blackhole.js';
import { detachFilter } from '../src/raw/filter.js';
import { RawSocket } from '../src/raw/raw-socket.js';

const toxic = (value: object): ActiveToxic => normalizeToxic(value, 'toxic', PROXY_SCOPE);
const filters = canBlackhole();
const skip = filters.ok ? '' : ` (skipped: ${filters.code}: ${filters.reason})`;

function rules(toxics: ActiveToxic[] = []) {
  const changes: string[] = [];
  const fixture = new FixtureRules(PROXY_SCOPE, toxics, 7, (kind, after, before) =>
    changes.push(`${kind} ${after.name}${before ? ` from ${JSON.stringify(before)}` : ''}`),
  );
  return { fixture, changes };
}

let listener: RawSocket | undefined;
afterEach(() => {
  listener?.close();
  listener = undefined;
});

async function listening(): Promise<RawSocket> {
  const listened = await RawSocket.listen({ host: '127.0.0.1', port: 0 });
  if (!listened.ok) throw new Error(listened.code);
  listener = listened.socket;
  return listener;
}

/** Whether `socket` has a filter: detaching one that is not there fails ENOENT (detaches it). */
function hadFilter(socket: RawSocket): boolean {
  try {
    detachFilter(socket);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return false;
    throw error;
  }
}

describe('FixtureRules changes', () => {
  it('add, update and remove hand each change to the connections, and return copies', () => {
    const { fixture, changes } = rules();
    expect(fixture.everFiltered).toBe(false);
    expect(fixture.seed).toBe(7);
    const added = fixture.add({ type: 'latency', name: 'lag', latency: 10 });
    expect(added).toMatchObject({ type: 'latency', name: 'lag', latency: 10, stream: 'downstream', toxicity: 1 });
    added.latency = 999;
    expect(fixture.list()[0].latency).toBe(10);
    const updated = fixture.update('lag', { latency: 20 });
    expect(updated.latency).toBe(20);
    updated.latency = 999;
    fixture.list()[0].latency = 999;
    expect(fixture.toxics.get('lag')?.latency).toBe(20);
    fixture.remove('lag');
    expect(fixture.list()).toEqual([]);
    expect(changes).toEqual(['add lag', `update lag from ${JSON.stringify({ ...added, latency: 10 })}`, 'remove lag']);
  });

  it('a toxic that is not an object is refused by the set, before any change', () => {
    const { fixture, changes } = rules();
    for (const bad of [null, 5, 'timeout']) {
      expect(() => fixture.add(bad as never), String(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    expect(changes).toEqual([]);
  });
});

describe('FixtureRules.error', () => {
  it("records the code (or the value), the error's own syscall or the one given, and keeps the first 100", () => {
    const { fixture } = rules();
    fixture.error(Object.assign(new Error('x'), { code: 'EMFILE', syscall: 'accept' }), 'listen');
    fixture.error(Object.assign(new Error('y'), { code: 'ENOBUFS' }), 'setsockopt');
    fixture.error('plain', 'accept');
    expect(fixture.errors.map(({ code, syscall }) => ({ code, syscall }))).toEqual([
      { code: 'EMFILE', syscall: 'accept' },
      { code: 'ENOBUFS', syscall: 'setsockopt' },
      { code: 'plain', syscall: 'accept' },
    ]);
    expect(fixture.errors[0].at).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 200; i++) fixture.error({ code: `E${i}` }, 'accept');
    expect(fixture.errors).toHaveLength(100);
    expect(fixture.errors[99].code).toBe('E96');
  });
});

describe.skipIf(!filters.ok)(`FixtureRules.syncListener${skip}`, () => {
  it('puts the handshake-only filter on for an upstream timeout that may act, or a script silent ahead', async () => {
    const socket = await listening();
    for (const [toxics, silentAhead, filtered] of [
      [[], false, false],
      [[toxic({ type: 'timeout', stream: 'downstream' })], false, false],
      [[toxic({ type: 'timeout', stream: 'upstream', toxicity: 0 })], false, false],
      [[toxic({ type: 'latency', stream: 'upstream', latency: 5 })], false, false],
      [[toxic({ type: 'timeout', stream: 'upstream', toxicity: 0.01 })], false, true],
      [[], true, true],
      [[toxic({ type: 'packetLoss', stream: 'upstream', probability: 0.2 })], false, true],
      [[toxic({ type: 'packetLoss', stream: 'upstream', probability: 0.2, toxicity: 0 })], false, false],
    ] as Array<[ActiveToxic[], boolean, boolean]>) {
      const { fixture } = rules(toxics);
      fixture.syncListener(socket, silentAhead);
      const what = `${JSON.stringify(toxics.map((t) => [t.type, t.stream, t.toxicity]))} silentAhead ${silentAhead}`;
      expect(hadFilter(socket), what).toBe(filtered);
      expect(fixture.everFiltered, what).toBe(filtered);
      expect(fixture.errors, what).toEqual([]);
    }
  });

  it('takes the filter off when nothing needs it any more, and puts nothing on twice', async () => {
    const socket = await listening();
    const { fixture } = rules([toxic({ type: 'timeout', name: 'quiet', stream: 'upstream' })]);
    fixture.syncListener(socket, false);
    fixture.remove('quiet');
    fixture.syncListener(socket, false);
    expect(hadFilter(socket)).toBe(false);
    expect(fixture.everFiltered).toBe(true);
    // A new listener starts without one: the same rules put it on again.
    fixture.add({ type: 'timeout', name: 'quiet', stream: 'upstream' });
    fixture.newListener();
    fixture.syncListener(socket, false);
    expect(hadFilter(socket)).toBe(true);
    expect(fixture.errors).toEqual([]);
  });

  it('records a filter the kernel refuses (a closed socket), with the syscall', async () => {
    const socket = await listening();
    socket.close();
    listener = undefined;
    const { fixture } = rules();
    fixture.syncListener(socket, true);
    expect(fixture.errors).toEqual([expect.objectContaining({ code: 'ERR_SOCKET_CLOSED', syscall: 'setsockopt' })]);
    expect(fixture.everFiltered).toBe(false);
  });
});
