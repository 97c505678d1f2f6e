// Four worker_threads use the addon at once; one is terminated while its connection waits on a
// kernel keepalive timer and it is mid-loop. Run in a child process
// (test/reliability/workers-child.mjs) so that a crash shows as a signal, not a lost runner.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode, summaryOf } from './reliability/child.js';

const script = fileURLToPath(new URL('./reliability/workers-child.mjs', import.meta.url));

interface Summary {
  victimExitCode: number;
  mainState: string;
  counts: Array<{ tcpInfo: number; setKeepAlive: number; abort: number }>;
  socketsBefore: number;
  socketsAfter: number;
}

describe('worker_threads', () => {
  it('four workers at once, one terminated mid-work: no crash, the main thread keeps working', async () => {
    const result = await runNode(script, [], [], 50_000);
    expect(result.signal, result.stderr.slice(-4000)).toBe(null);
    expect(result.status, result.stderr.slice(-4000)).toBe(0);
    const summary = summaryOf<Summary>(result);
    console.log('workers:', JSON.stringify(summary));
    // terminate() resolves with exit code 1 for a worker stopped from outside.
    expect(summary.victimExitCode).toBe(1);
    expect(summary.mainState).toBe('ESTABLISHED');
    expect(summary.counts).toHaveLength(3);
    for (const c of summary.counts) expect(c).toEqual({ tcpInfo: 10_000, setKeepAlive: 5_000, abort: 25 });
    // The terminated worker's connection was closed by its environment's teardown.
    expect(summary.socketsAfter).toBe(summary.socketsBefore);
  }, 60_000);
});

describe('worker_threads terminated inside throwing calls', () => {
  // Built without NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS, the first round aborted the process:
  // node-addon-api's rethrow of an error the terminating worker could not take escaped as a C++
  // exception ("terminate called after throwing an instance of 'Napi::Error'").
  it('60 rounds: each worker ends with exit code 1, the process lives and its own calls still throw coded errors', async () => {
    const child = fileURLToPath(new URL('./reliability/terminate-child.mjs', import.meta.url));
    const result = await runNode(child, ['60'], [], 50_000);
    expect(result.signal, result.stderr.slice(-4000)).toBe(null);
    expect(result.status, result.stderr.slice(-4000)).toBe(0);
    expect(summaryOf(result)).toEqual({ rounds: 60, exitCodes: { 1: 60 }, mainThrown: 3 });
  }, 60_000);
});
