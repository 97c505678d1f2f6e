// Every option of the fault fixtures is checked before anything listens, with Node's coded
// errors; nothing the fixtures run inside an event listener may throw into the user's process.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canCapture, faultClient, faultProxy, faultServer } from '../src/index.js';
import { runNode, summaryOf } from './reliability/child.js';
import { OPTION_KEYS as SERVER_KEYS } from '../src/faults/server.js';
import { OPTION_KEYS as PROXY_KEYS } from '../src/faults/proxy.js';

const script = fileURLToPath(new URL('./reliability/fault-options-child.mjs', import.meta.url));

describe('fault fixture options', () => {
  const up = { port: 1 };
  it.each([
    [
      'a misspelled key of a step',
      () => faultServer({ onConnection: [{ do: 'respond', respones: 'x' } as never] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.onConnection[0].respones' must be one of the known keys (do, status, body, headers, cutAfter); unknown key. Received type string ('respones')",
    ],
    [
      'a misspelled option',
      () => faultServer({ onConnection: ['reset'], stepTimout: 5 } as never),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.stepTimout' must be one of the known keys (host, allowNonLoopback, port, onConnection, connections, accept, stepTimeout, holdTimeout, maxConnections, backlog, toxics, seed, failFirst, recordBytes, capture); unknown key. Received type string ('stepTimout')",
    ],
    [
      'a body that is a number',
      () => faultServer({ onConnection: [{ do: 'respond', body: 5 as never }] }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.onConnection[0].body" argument must be of type string or an instance of Uint8Array. Received type number (5)',
    ],
    [
      'status 999',
      () => faultServer({ onConnection: [{ do: 'respond', status: 999 }] }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.onConnection[0].status" is out of range. It must be an integer >= 100 and <= 599. Received 999',
    ],
    [
      'CRLF in a header name',
      () => faultServer({ onConnection: [{ do: 'respond', headers: { 'a\r\nb': 'c' } }] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.onConnection[0].headers name' must be an HTTP token (RFC 9110 \u00a75.1). Received type string ('a\r\nb')",
    ],
    [
      'cutAfter past the body',
      () => faultServer({ onConnection: [{ do: 'respond', body: 'ab', cutAfter: 3 }] }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.onConnection[0].cutAfter" is out of range. It must be an integer >= 0 and <= 2. Received 3',
    ],
    [
      'stepTimeout 0',
      () => faultServer({ onConnection: ['reset'], stepTimeout: 0 }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.stepTimeout" is out of range. It must be an integer >= 1 and <= 2147483647. Received 0',
    ],
    [
      'holdTimeout 0',
      () => faultServer({ onConnection: ['reset'], holdTimeout: 0 }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.holdTimeout" is out of range. It must be an integer >= 1 and <= 2147483647. Received 0',
    ],
    [
      'a million scripts',
      () => faultServer({ connections: Array.from({ length: 1_000_000 }, () => ['reset' as const]) }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.connections.length" is out of range. It must be <= 10000. Received 1000000',
    ],
    [
      'backlog 2^31 - 1',
      () => faultServer({ onConnection: ['reset'], backlog: 2 ** 31 - 1 }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.backlog" is out of range. It must be an integer >= 1 and <= 65535. Received 2147483647',
    ],
    [
      'a host name',
      () => faultServer({ onConnection: ['reset'], host: 'localhost' }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.host' must be an IPv4 or IPv6 address literal. Received type string ('localhost')",
    ],
    [
      'a host that is not loopback',
      () => faultServer({ onConnection: ['reset'], host: '0.0.0.0' }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.host' must be a loopback address (127.0.0.0/8 or ::1); pass allowNonLoopback: true for another. Received type string ('0.0.0.0')",
    ],
    [
      'an unknown toxic',
      () => faultServer({ onConnection: ['reset'], toxics: [{ type: 'explode' } as never] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.toxics[0].type' must be 'latency', 'bandwidth', 'slicer', 'slowClose', 'limitData', 'timeout', 'resetPeer', 'packetLoss'. Received type string ('explode')",
    ],
    [
      "Toxiproxy's rate (KB/s) where bytesPerSecond is meant",
      () => faultProxy(up, { toxics: [{ type: 'bandwidth', rate: 100 } as never] }),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'options.toxics[0].rate' must be one of the known keys (type, name, stream, toxicity, toxicityPer, bytesPerSecond); unknown key. Received type string ('rate')",
    ],
    [
      'toxicity 1.5',
      () => faultProxy(up, { toxics: [{ type: 'latency', latency: 1, toxicity: 1.5 }] }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.toxics[0].toxicity" is out of range. It must be >= 0 and <= 1. Received 1.5',
    ],
    [
      'latency NaN',
      () => faultProxy(up, { toxics: [{ type: 'latency', latency: NaN }] }),
      'ERR_OUT_OF_RANGE',
      'The value of "options.toxics[0].latency" is out of range. It must be an integer >= 0 and <= 2147483647. Received NaN',
    ],
    [
      'a proxy host that is a number',
      () => faultProxy(up, { host: 12345 as never }),
      'ERR_INVALID_ARG_TYPE',
      'The "options.host" argument must be of type string. Received type number (12345)',
    ],
    [
      'an upstream that is a name',
      () => faultProxy({ host: 'localhost', port: 80 }, {}),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'upstream host' must be an IPv4 or IPv6 address literal. Received type string ('localhost')",
    ],
    [
      'an upstream URL with a name',
      () => faultProxy('http://localhost:80/', {}),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'upstream host' must be an IPv4 or IPv6 address literal. Received type string ('localhost')",
    ],
    [
      'a client target that is a name',
      () => faultClient('http://localhost:80/', ['reset']),
      'ERR_INVALID_ARG_VALUE',
      "The argument 'target host' must be an IPv4 or IPv6 address literal. Received type string ('localhost')",
    ],
  ])('%s → %s before anything listens', async (_label, make, code, message) => {
    await expect(make()).rejects.toMatchObject({ code, message });
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

// The same sweep as the child's, in this process: every option of faultServer and faultProxy
// given every wrong type is refused naming that option, so a user reads which one is wrong.
describe('each refusal names the option it refuses', () => {
  const WRONG: unknown[] = [null, 'x', -1, 1.5, NaN, Infinity, {}, [], () => {}, Symbol('s'), 2 ** 53, true, 10n];
  // Every key each fixture knows (their own lists: a key added there is swept here too).
  const serverKeys = SERVER_KEYS;
  const proxyKeys = PROXY_KEYS;

  async function refusal(
    make: () => Promise<{ close(): Promise<unknown> }>,
  ): Promise<{ code?: string; syscall?: string; message: string } | undefined> {
    try {
      const fixture = await make();
      await fixture.close();
      return undefined;
    } catch (error) {
      return error as { code?: string; syscall?: string; message: string };
    }
  }

  it.each(serverKeys)('faultServer options.%s', async (key) => {
    for (const value of WRONG) {
      const base = key === 'onConnection' || key === 'connections' ? {} : { onConnection: ['respond:200'] };
      const error = await refusal(() => faultServer({ ...base, [key]: value } as never));
      // Right for this key (a boolean flag, an empty list): made, or refused by the kernel (a
      // syscall's error: capture without CAP_NET_RAW), never by the option check.
      if (error === undefined || typeof error.syscall === 'string') continue;
      expect(error.code, `${key}=${String(value)}`).toMatch(/^ERR_/);
      expect(error.message, `${key}=${String(value)}`).toContain(`options.${key}`);
    }
  });

  it.each(['stepTimeout', 'holdTimeout', 'allowNonLoopback', 'recordBytes', 'capture'])('faultClient options.%s', async (key) => {
    for (const value of WRONG) {
      // Nothing listens on port 1: an accepted value gets as far as the kernel's ECONNREFUSED (or,
      // for capture without CAP_NET_RAW, the packet socket's EPERM): a syscall's error.
      const error = await refusal(() => faultClient({ host: '127.0.0.1', port: 1 }, ['reset'], { [key]: value } as never));
      if (typeof error?.syscall === 'string') continue;
      expect(error?.code, `${key}=${String(value)}`).toMatch(/^ERR_/);
      expect(error?.message, `${key}=${String(value)}`).toContain(`options.${key}`);
    }
  });

  it.each(proxyKeys)('faultProxy options.%s', async (key) => {
    for (const value of WRONG) {
      const error = await refusal(() => faultProxy({ host: '127.0.0.1', port: 1 }, { [key]: value } as never));
      if (error === undefined || typeof error.syscall === 'string') continue;
      expect(error.code, `${key}=${String(value)}`).toMatch(/^ERR_/);
      expect(error.message, `${key}=${String(value)}`).toContain(`options.${key}`);
    }
  });
});
