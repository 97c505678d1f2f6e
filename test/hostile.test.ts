// Every exported function, the native binding's included, called with garbage in a child
// process (test/reliability/hostile-child.mjs); the parent counts crashes and resumes after
// each one, so one crash does not hide the next.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode, summaryOf } from './reliability/child.js';

const script = fileURLToPath(new URL('./reliability/hostile-child.mjs', import.meta.url));

interface Summary {
  targets: string[];
  calls: number;
  returned: number;
  coded: number;
  own: number;
  uncoded: string[];
  promises: number;
  total: number;
}

/** Runs the harness to the end, resuming after each crash; bounded to 20 child runs. */
async function fuzz(extraArgs: string[] = []) {
  const crashes: string[] = [];
  let start = 0;
  let tried = 0;
  let summary: Summary | undefined;
  for (let attempt = 0; attempt < 20 && !summary; attempt++) {
    const result = await runNode(script, ['--start', String(start), ...extraArgs]);
    const begun = result.stdout.split('\n').filter((l) => l.startsWith('B '));
    tried += begun.length;
    if (result.signal !== null) {
      const last = begun.at(-1) ?? `B ${start} <before the first call>`;
      crashes.push(`${result.signal}: ${last.slice(2)}`);
      start = Number(last.split(' ')[1]) + 1;
      continue;
    }
    expect(result.status, result.stderr.slice(-4000)).toBe(0);
    summary = summaryOf<Summary>(result);
  }
  return { crashes, tried, summary };
}

// The child walks the whole public API (~25 000 calls, ~20 s here) and bounds itself at 60 s;
// the suite's 20 s default cut it off before its own bound.
const HARNESS_TIMEOUT = 70_000;

describe('hostile input', () => {
  it(
    'no call crashes the process and every throw is an Error with a string code',
    async () => {
      const { crashes, tried, summary } = await fuzz();
      console.log(`hostile input: ${tried} calls tried on ${summary?.targets.length} functions, ${crashes.length} crashes`);
      expect(crashes).toEqual([]);
      expect(summary).toBeDefined();
      expect(summary!.uncoded).toEqual([]);
      expect(tried).toBeGreaterThanOrEqual(200);
      // The walk found the native binding and the public API both.
      expect(summary!.targets).toEqual(
        expect.arrayContaining([
          'sockctl.tcpInfo',
          'sockctl.abort',
          'sockctl.blackhole',
          'sockctl.kill',
          'sockctl.scenario',
          'sockctl.RawSocket.prototype.recv',
          'native.tcpInfo.tcpInfo',
          'native.options.setKeepAlive',
          'native.rawIo.close',
          'native.poll.wait',
          'sockctl.sockets',
          'sockctl.tcpInfoBatch',
          'native.sockets.snapshot',
          'native.sockets.parse',
          'native.sockets.attribute',
          'native.tcpInfo.tcpInfoBatch',
          'sockctl.Capture.open',
          'sockctl.Capture.prototype.settle',
          'sockctl.forge',
          'sockctl.renderLadder',
          'native.capture.open',
          'native.capture.read',
          'native.forge.send',
        ]),
      );
      // Async methods were fuzzed too: their rejections are counted above.
      expect(summary!.promises).toBeGreaterThan(0);
      // Garbage was refused with codes, and the hostile objects' own exceptions came back out.
      expect(summary!.coded).toBeGreaterThan(1000);
      expect(summary!.own).toBeGreaterThan(0);
    },
    HARNESS_TIMEOUT,
  );

  it(
    'the parent sees a crash, names the call, and resumes after it',
    async () => {
      const { crashes, tried, summary } = await fuzz(['--crash-at', '40', '--stop-at', '400']);
      expect(crashes).toEqual([expect.stringMatching(/^SIGSEGV: 40 /)]);
      expect(summary!.total).toBe(400);
      expect(summary!.calls).toBe(400 - 41);
      expect(tried).toBe(400);
    },
    HARNESS_TIMEOUT,
  );
});
