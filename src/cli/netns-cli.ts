#!/usr/bin/env node
/**
 * sockctl-netns: runs a command in a new user + network namespace with loopback up, so an
 * unprivileged user can blackhole and kill sockets there. Usage: sockctl-netns [--] <cmd> [args…]
 */
import { runInNetns } from '../raw/userns.js';

const USAGE = `usage: sockctl-netns [--] <command> [args...]

Runs <command> inside a new user + network namespace (util-linux unshare -Urn) with lo up.
In there the command holds CAP_NET_ADMIN over its own network namespace, so sockctl's
blackhole() and kill() work without root, on 127.0.0.1 and ::1 only.
Exit status: the command's; 125 if the namespace could not be set up.
`;

function main(argv: string[]): void {
  if (argv[0] === '-h' || argv[0] === '--help') {
    process.stdout.write(USAGE);
    return;
  }
  const rest = argv[0] === '--' ? argv.slice(1) : argv;
  if (rest.length === 0) {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  const child = runInNetns(rest[0], rest.slice(1));
  child.on('error', (error) => {
    process.stderr.write(`sockctl-netns: cannot run unshare: ${error.message}\n`);
    process.exitCode = 125;
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exitCode = code ?? 125;
  });
}

main(process.argv.slice(2));
