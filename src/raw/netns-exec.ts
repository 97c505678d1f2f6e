/**
 * Runs inside the namespace that runInNetns() creates: brings `lo` up, then runs the command
 * and mirrors its exit. argv: <command> <args…>. Not part of the public API.
 */
import { spawn, spawnSync } from 'node:child_process';

/** Exit code when the namespace could not be prepared (as env(1) and chroot(1) use 125). */
const SETUP_FAILED = 125;
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

function bringLoopbackUp(): string | null {
  try {
    // Loaded here, not at the top: a missing native binary must leave the `ip` way open.
    const { loopbackUp } = require('./userns.js') as typeof import('./userns.js');
    loopbackUp();
    return null;
  } catch (nativeError) {
    const ip = spawnSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'ignore', timeout: 10_000 });
    if (!ip.error && ip.status === 0) return null;
    return (
      `sockctl-netns: cannot bring lo up: ${(nativeError as Error).message}; ` +
      `ip link set lo up: ${ip.error ? ip.error.message : `exit ${ip.status}`}`
    );
  }
}

function main(argv: string[]): void {
  const [command, ...args] = argv;
  if (command === undefined) {
    process.stderr.write('sockctl-netns: no command given\n');
    process.exitCode = SETUP_FAILED;
    return;
  }
  const failure = bringLoopbackUp();
  if (failure !== null) {
    process.stderr.write(`${failure}\n`);
    process.exitCode = SETUP_FAILED;
    return;
  }
  const child = spawn(command, args, { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  child.on('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(`sockctl-netns: ${command}: ${error.message}\n`);
    // 127 / 126 as a shell reports a command it cannot find / cannot run.
    process.exitCode = error.code === 'ENOENT' ? 127 : 126;
  });
  child.on('exit', (code, signal) => {
    for (const s of FORWARDED_SIGNALS) process.off(s, forward);
    if (signal !== null) {
      process.kill(process.pid, signal);
      return;
    }
    process.exitCode = code ?? SETUP_FAILED;
  });
}

main(process.argv.slice(2));
