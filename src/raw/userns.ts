/**
 * Runs a command inside a new user + network namespace (util-linux `unshare -Urn`) with
 * loopback up, so an unprivileged user holds CAP_NET_ADMIN over that namespace and
 * blackhole()/kill() work there on 127.0.0.1 and ::1, with the kernel's real timeouts.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import { type ProbeResult } from '../controls/errors.js';
import { invalidArgType, validateObject } from '../controls/validate.js';
import { native } from '../controls/native.js';

/** Options for {@link runInNetns}. */
export interface NetnsOptions {
  /** Passed to `spawn`. Default `'inherit'`. */
  stdio?: StdioOptions;
  /** Environment of the command. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Working directory of the command. */
  cwd?: string;
  /** The `unshare` binary. Default `'unshare'` from PATH. */
  unshare?: string;
}

/** The script that runs inside the namespace: brings `lo` up, then runs the command. */
export const NETNS_EXEC = path.join(__dirname, 'netns-exec.js');

function validateCommand(command: unknown, args: unknown): asserts args is readonly string[] {
  if (typeof command !== 'string' || command === '') {
    throw invalidArgType('command', 'a non-empty string', command);
  }
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw invalidArgType('args', 'an array of strings', args);
  }
}

/**
 * The argv that runs `command args…` in a new user + network namespace: `unshare --user
 * --map-root-user --net -- <node> netns-exec.js <command> <args…>`. For callers that spawn
 * the process themselves (a CLI, a test runner).
 *
 * @remarks See {@link runInNetns} and unshare(1),
 * https://man7.org/linux/man-pages/man1/unshare.1.html
 */
export function netnsCommand(
  command: string,
  args: readonly string[] = [],
  unshare = 'unshare',
): { command: string; args: string[] } {
  validateCommand(command, args);
  if (typeof unshare !== 'string' || unshare === '') {
    throw invalidArgType('unshare', 'a non-empty string', unshare);
  }
  return {
    command: unshare,
    args: ['--user', '--map-root-user', '--net', '--', process.execPath, NETNS_EXEC, command, ...args],
  };
}

/**
 * Spawns `command args…` inside a new user namespace (the caller's uid mapped to 0) and a new
 * network namespace, with `lo` brought up first (`SIOCSIFFLAGS` IFF_UP, like
 * `ip link set lo up`). In there the process holds CAP_NET_ADMIN over its own network
 * namespace, so {@link blackhole} and {@link kill} work for an unprivileged user, and TCP
 * timeouts on 127.0.0.1 / ::1 are the kernel's real ones.
 *
 * @remarks Needs util-linux `unshare` and unprivileged user namespaces
 * (`/proc/sys/user/max_user_namespaces` > 0; some distributions restrict them, e.g. Ubuntu's
 * AppArmor `kernel.apparmor_restrict_unprivileged_userns`). The namespace has only `lo`: no
 * other network, and ports are separate from the host's. The child's exit code is the
 * command's; 125 when the namespace could not be set up. Files are seen with the caller's
 * rights (uid 0 inside maps back to the caller). See unshare(1), user_namespaces(7),
 * network_namespaces(7), https://man7.org/linux/man-pages/man1/unshare.1.html
 */
export function runInNetns(command: string, args: readonly string[] = [], options: NetnsOptions = {}): ChildProcess {
  validateObject(options, 'options');
  const argv = netnsCommand(command, args, options.unshare ?? 'unshare');
  return spawn(argv.command, argv.args, {
    stdio: options.stdio ?? 'inherit',
    env: options.env ?? process.env,
    cwd: options.cwd, // undefined: the caller's
  });
}

/**
 * Whether {@link runInNetns} can work here: runs `unshare -Urn true` and reports its failure.
 *
 * @remarks Spawns a process synchronously (bounded to 10 s). See unshare(1),
 * https://man7.org/linux/man-pages/man1/unshare.1.html
 */
export function canUseNetns(unshare = 'unshare'): ProbeResult {
  const result = spawnSync(unshare, ['--user', '--map-root-user', '--net', '--', 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error) return { ok: false, reason: `${unshare}: ${result.error.message}` };
  if (result.status !== 0) {
    return { ok: false, reason: `${unshare} -Urn failed (${result.status}): ${result.stderr.trim()}` };
  }
  return { ok: true };
}

/**
 * Brings `lo` up in the calling process's network namespace (`SIOCSIFFLAGS` IFF_UP). A fresh
 * network namespace starts with `lo` down, so 127.0.0.1 and ::1 answer ENETUNREACH until then.
 *
 * @remarks Needs CAP_NET_ADMIN over the namespace; throws a Node-shaped error (`syscall`
 * `'ioctl'`, `request` `'SIOCSIFFLAGS'`, `code` `'EPERM'`) otherwise. Already up: no change.
 * See netdevice(7), https://man7.org/linux/man-pages/man7/netdevice.7.html
 */
export function loopbackUp(): void {
  native.netns.loopbackUp();
}
