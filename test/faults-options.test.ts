// Every option of the fault fixtures is checked before anything listens, with Node's coded
// errors; nothing the fixtures run inside an event listener may throw into the user's process.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canCapture, faultClient, faultProxy, faultServer } from '../src/index.js';
import { runNode, summaryOf } from './reliability/child.js';

const script = fileURLToPath(new URL('./reliability/fault-options-child.mjs', import.meta.url));

describe('fault fixture options', () => {
  const up = { port: 1 };
  it.each([
    [
      'a misspelled key of a step',
      () => faultServer({ onConnection: [{ do: 'respond', respones: 'x' } as never] }),
      'ERR_INVALID_ARG_VALUE',
    ],
    ['a misspelled option', () => faultServer({ onConnection: ['reset'], stepTimout: 5 } as never), 'ERR_INVALID_ARG_VALUE'],
    [
      'a body that is a number',
      () => faultServer({ onConnection: [{ do: 'respond', body: 5 as never }] }),
      'ERR_INVALID_ARG_TYPE',
    ],
    ['status 999', () => faultServer({ onConnection: [{ do: 'respond', status: 999 }] }), 'ERR_OUT_OF_RANGE'],
    [
      'CRLF in a header name',
      () => faultServer({ onConnection: [{ do: 'respond', headers: { 'a\r\nb': 'c' } }] }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      'cutAfter past the body',
      () => faultServer({ onConnection: [{ do: 'respond', body: 'ab', cutAfter: 3 }] }),
      'ERR_OUT_OF_RANGE',
    ],
    ['stepTimeout 0', () => faultServer({ onConnection: ['reset'], stepTimeout: 0 }), 'ERR_OUT_OF_RANGE'],
    ['holdTimeout 0', () => faultServer({ onConnection: ['reset'], holdTimeout: 0 }), 'ERR_OUT_OF_RANGE'],
    [
      'a million scripts',
      () => faultServer({ connections: Array.from({ length: 1_000_000 }, () => ['reset' as const]) }),
      'ERR_OUT_OF_RANGE',
    ],
    ['backlog 2^31 - 1', () => faultServer({ onConnection: ['reset'], backlog: 2 ** 31 - 1 }), 'ERR_OUT_OF_RANGE'],
    ['a host name', () => faultServer({ onConnection: ['reset'], host: 'localhost' }), 'ERR_INVALID_ARG_VALUE'],
    ['a host that is not loopback', () => faultServer({ onConnection: ['reset'], host: '0.0.0.0' }), 'ERR_INVALID_ARG_VALUE'],
    [
      'an unknown toxic',
      () => faultServer({ onConnection: ['reset'], toxics: [{ type: 'explode' } as never] }),
      'ERR_INVALID_ARG_VALUE',
    ],
    [
      "Toxiproxy's rate (KB/s) where bytesPerSecond is meant",
      () => faultProxy(up, { toxics: [{ type: 'bandwidth', rate: 100 } as never] }),
      'ERR_INVALID_ARG_VALUE',
    ],
    ['toxicity 1.5', () => faultProxy(up, { toxics: [{ type: 'latency', latency: 1, toxicity: 1.5 }] }), 'ERR_OUT_OF_RANGE'],
    ['latency NaN', () => faultProxy(up, { toxics: [{ type: 'latency', latency: NaN }] }), 'ERR_OUT_OF_RANGE'],
    ['a proxy host that is a number', () => faultProxy(up, { host: 12345 as never }), 'ERR_INVALID_ARG_TYPE'],
    ['an upstream that is a name', () => faultProxy({ host: 'localhost', port: 80 }, {}), 'ERR_INVALID_ARG_VALUE'],
    ['an upstream URL with a name', () => faultProxy('http://localhost:80/', {}), 'ERR_INVALID_ARG_VALUE'],
    ['a client target that is a name', () => faultClient('http://localhost:80/', ['reset']), 'ERR_INVALID_ARG_VALUE'],
  ])('%s → %s before anything listens', async (_label, make, code) => {
    await expect(make()).rejects.toMatchObject({ code });
  });

  it('every option kind with every wrong type, then connections to what is accepted: coded errors, the process lives', async () => {
    const result = await runNode(script, [], [], 60_000);
    expect(result.status, result.stderr.slice(-4000)).toBe(0);
    const summary = summaryOf<{ cases: number; coded: number; accepted: string[]; uncoded: string[]; connected: number }>(result);
    console.log(
      `options: ${summary.cases} cases, ${summary.coded} coded rejections, accepted ${JSON.stringify(summary.accepted)}`,
    );
    expect(summary.uncoded).toEqual([]);
    // Only values that are right for their key get through: a boolean flag, an empty list
    // (capture: true only where a packet socket may be opened; elsewhere EPERM, coded).
    expect(summary.accepted.sort()).toEqual(
      [
        ...(canCapture().ok ? ['faultServer capture=true'] : []),
        'faultProxy allowNonLoopback=true',
        'faultProxy resetConnections=',
        'faultProxy toxics=',
        'faultServer accept=true',
        'faultServer allowNonLoopback=true',
        'faultServer connections=',
        'faultServer onConnection=',
        'faultServer toxics=',
      ].sort(),
    );
    expect(summary.coded).toBe(summary.cases - summary.accepted.length);
    expect(summary.connected).toBe(3 * summary.accepted.length);
  });
});
