// Runs a reliability script in its own Node process (a crash there must not take the test
// runner down) and reports how it ended: exit code or the signal that killed it.
import { spawn } from 'node:child_process';

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runNode(script: string, args: string[] = [], nodeFlags: string[] = [], ms = 120_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** The last `S {json}` line a reliability script printed. */
export function summaryOf<T>(result: ChildResult): T {
  const line = result.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('S '));
  if (!line) throw new Error(`no summary (exit ${result.status}, signal ${result.signal}):\n${result.stderr.slice(-4000)}`);
  return JSON.parse(line.slice(2)) as T;
}
