// What runCatalog decides before any case runs (src/scenario/run-catalog.ts): which cases a
// selection names, and the environment it reports — each field read back from the kernel or
// the process another way.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeEnvironment, selectCases } from '../src/scenario/run-catalog.js';
import { catalog, BLACKHOLE, CAPTURE, FORGE, KILL, SNAPSHOT } from '../src/scenario/catalog/index.js';
import { RawSocket, tcpInfo } from '../src/index.js';

describe('selectCases', () => {
  it('no selection or an empty one is the whole catalog; names select those cases in catalog order', () => {
    expect(selectCases(undefined)).toBe(catalog);
    expect(selectCases([])).toBe(catalog);
    const [first, second] = catalog;
    expect(selectCases([second.name, first.name])).toEqual([first, second]);
  });

  it('refuses what is not an array of names, and names no case has, listing the known ones', () => {
    for (const only of ['half-close', [catalog[0].name, 5], [null], {}]) {
      expect(() => selectCases(only as never)).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARG_TYPE',
          message: expect.stringMatching(/^The "only" argument must be an array of case names\. Received /),
        }),
      );
    }
    expect(() => selectCases([catalog[0].name, 'nope', 'nor-this'])).toThrow(
      expect.objectContaining({
        code: 'ERR_SOCKCTL_UNKNOWN_CASE',
        message: `unknown case nope, nor-this; known: ${catalog.map((c) => c.name).join(', ')}`,
      }),
    );
  });
});

describe('describeEnvironment', () => {
  it("names the kernel, Node, the process's capabilities, tcp_info's lengths and each probe's answer", async () => {
    const env = await describeEnvironment([4, 6]);
    expect(env).toMatchObject({
      kernel: os.release(),
      kernelVersion: os.version(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      uid: process.getuid?.(),
      families: [4, 6],
    });
    // The capabilities from CapEff, bit by bit.
    const mask = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]}`);
    const has = (bit: number) => ((mask >> BigInt(bit)) & 1n) === 1n;
    const expected = Object.entries({ CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_SYS_ADMIN: 21, CAP_BPF: 39 })
      .filter(([, bit]) => has(bit))
      .map(([name]) => name);
    expect(env.capabilities).toEqual(expected);
    // tcp_info as getsockopt fills it on a fresh socket, and as the kernel's table gives it.
    const socket = RawSocket.create(4);
    try {
      expect(env.tcpInfoLength).toBe(tcpInfo(socket).length);
    } finally {
      socket.close();
    }
    const snapshot = SNAPSHOT.probe();
    if (snapshot.ok) expect(env.snapshotTcpInfoLength).toBe(env.tcpInfoLength);
    else expect(env.snapshotTcpInfoLength).toBeUndefined();
    expect(env.probes).toEqual({
      blackhole: BLACKHOLE.probe(),
      kill: KILL.probe(),
      capture: CAPTURE.probe(),
      forge: FORGE.probe(),
      snapshot,
    });
  });
});
