/**
 * Loads the compiled addon with node-gyp-build (a local `build/Release` if there is one, else a
 * prebuild from `prebuilds/`) and types it. This interface is the whole contract with native/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import nodeGypBuild from 'node-gyp-build';
import { codedError } from './errors.js';

/** Integer constants the addon reads from the platform headers. */
export interface NativeConstants {
  readonly [name: string]: number;
}

export interface NativeOptions {
  getOption(fd: number, level: number, name: number): number;
  setOption(fd: number, level: number, name: number, value: number): void;
  /** Seconds, or -1 when linger is off. */
  getLinger(fd: number): number;
  /** -1 switches linger off. */
  setLinger(fd: number, seconds: number): void;
  /** [enable (0|1), idle s, interval s, count]. */
  getKeepAlive(fd: number): [number, number, number, number];
  /** -1 leaves a timer unchanged. */
  setKeepAlive(fd: number, enable: number, idle: number, interval: number, count: number): void;
  /** Positive errno, or 0 when none is pending. */
  takeError(fd: number): number;
  /** TCP_USER_TIMEOUT in ms. */
  getUserTimeout(fd: number): number;
  readonly constants: NativeConstants;
}

export interface NativeTcpInfo {
  /** Copies struct tcp_info into `buffer`, returns the length the kernel wrote. */
  tcpInfo(fd: number, buffer: ArrayBufferView): number;
  /**
   * TCP_INFO of each fd into `buffer` at i × `stride`; `lengths[i]` = the kernel's length or
   * -errno (-EBADF for a negative fd). Returns how many were read.
   */
  tcpInfoBatch(fds: Int32Array, buffer: ArrayBufferView, stride: number, lengths: Int32Array): number;
  /** Returns its argument: the cost of a call into the addon and nothing else (bench/). */
  noop<T>(value: T): T;
}

export interface NativeQueues {
  /** [SIOCINQ, SIOCOUTQ, SIOCOUTQNSD] in bytes. */
  queues(fd: number): [number, number, number];
}

/** [host, port, family] as getsockname/getpeername report it. */
export type NativeAddress = [string, number, 4 | 6];

/**
 * Syscalls on sockets the addon opened itself. Each returns the syscall's result (>= 0: 0, a
 * byte count or a new fd) or a negated errno; only argument errors throw. An fd the addon did
 * not open (or already closed) is refused with ERR_INVALID_ARG_VALUE.
 */
export interface NativeRawIo {
  /** socket(AF_INET or AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC). */
  socket(family: 4 | 6): number;
  bind(fd: number, host: string, port: number): number;
  listen(fd: number, backlog: number): number;
  /** Non-blocking: -EINPROGRESS while the handshake runs. */
  connect(fd: number, host: string, port: number): number;
  /** accept4(SOCK_NONBLOCK | SOCK_CLOEXEC): the new fd. */
  accept(fd: number): number;
  /** send(MSG_NOSIGNAL): bytes sent. */
  send(fd: number, data: ArrayBufferView): number;
  /** Bytes received into `buffer`; 0 is end of stream. */
  recv(fd: number, buffer: ArrayBufferView): number;
  /** 0 SHUT_RD, 1 SHUT_WR, 2 SHUT_RDWR. */
  shutdown(fd: number, how: number): number;
  /** Cancels the fd's readiness waits, then close(2). */
  close(fd: number): number;
  getsockname(fd: number): NativeAddress | number;
  getpeername(fd: number): NativeAddress | number;
  /** How many fds the addon holds open in this environment. */
  ownedCount(): number;
}

export interface NativePollConstants {
  readonly READABLE: number;
  readonly WRITABLE: number;
  /** What a wait reports to its callback: ready, timed out, cancelled or failed. */
  readonly READY: number;
  readonly TIMED_OUT: number;
  readonly CANCELLED: number;
  readonly FAILED: number;
}

/** Readiness waits from libuv's loop. */
export interface NativePoll {
  /**
   * Waits for `events` (READABLE | WRITABLE) on an owned fd for at most `timeout` ms.
   * `callback(outcome, value)` runs exactly once, from the loop: READY with the events seen,
   * TIMED_OUT, CANCELLED (the fd was closed) or FAILED with a positive errno (libuv reports a
   * socket's pending error this way: the socket is ready, its next syscall says which error).
   */
  wait(fd: number, events: number, timeout: number, callback: (outcome: number, value: number) => void): void;
  /** Cancels the fd's waits; returns how many there were. */
  cancel(fd: number): number;
  /** Waits started and not yet called back in this environment. */
  pending(): number;
  readonly constants: NativePollConstants;
}

export interface NativeFilter {
  /** SO_ATTACH_FILTER with `program`: struct sock_filter records, 8 bytes each, host order. */
  attach(fd: number, program: ArrayBufferView): void;
  /** SO_DETACH_FILTER; ENOENT when no filter is attached. */
  detach(fd: number): void;
  /**
   * Attaches the drop-all program to a throwaway TCP socket of IPv`family`:
   * [errno (0 = allowed), failing syscall ('' when allowed)].
   */
  probe(family: 4 | 6): [number, string];
}

export interface NativeDiag {
  /** kill(): SOCK_DESTROY for the socket's own 4-tuple and SO_COOKIE. */
  kill(fd: number): void;
  /** SO_COOKIE. */
  cookie(fd: number): bigint;
  /** Destroys the client end of a throwaway 127.0.0.1 connection: [errno (0 = allowed), step]. */
  probeKill(): [number, string];
}

/**
 * Records of a snapshot, in the layout native/sockets.cc documents, and how many there are.
 */
export type NativeRecords = [records: ArrayBuffer, count: number];

/** Kernel socket tables through NETLINK_SOCK_DIAG. */
export interface NativeSockets {
  /**
   * An inet_diag dump (family 0 = both) of the TCP states in the `states` bit mask, with
   * tcp_info. Without ports: this process's sockets, attributed. With ports (kernel bytecode):
   * every socket on them, attribution left to {@link attribute}.
   */
  snapshot(
    family: 0 | 4 | 6,
    states: number,
    localPorts?: readonly number[] | null,
    remotePorts?: readonly number[] | null,
    ports?: readonly number[] | null,
  ): NativeRecords;
  /** Fills in each record's attribution byte; returns the number of records. */
  attribute(records: ArrayBufferView): number;
  /** Inodes of the sockets this process's fds hold, sorted (fstat only, no netlink). */
  inodes(): Uint32Array;
  /** The dump parser on one datagram's bytes: the records of the messages of `sequence`. */
  parse(datagram: ArrayBufferView, sequence: number): NativeRecords;
  /** One real dump's datagrams as received (the first 16), for tests of the parser. */
  capture(family: 4 | 6): [sequence: number, datagrams: ArrayBuffer[]];
}

export interface NativeNetns {
  /** Sets IFF_UP on `lo` in the calling process's network namespace. */
  loopbackUp(): void;
}

/**
 * Loopback capture: an AF_PACKET socket bound to `lo` whose kernel filter passes TCP between
 * loopback addresses on the ports of the sockets given, with a receive ring the kernel copies the
 * headers into. The capture fd is owned: poll.wait watches it, rawIo.close closes it.
 */
export interface NativeCapture {
  /** Opens a capture socket whose filter passes nothing yet; throws a SystemError. */
  open(): number;
  /**
   * The filter passes the local ports of `fds` (bound TCP sockets) too, one holder each;
   * returns those ports in order. 200 distinct ports at most.
   */
  add(fd: number, fds: number[]): number[];
  /** getsockname(2) of any socket this process holds: [address, port]. */
  localEnd(fd: number): [string, number];
  /** One holder less on each of `ports`; a port left without one leaves the filter. */
  remove(fd: number, ports: number[]): void;
  /** The ports the filter passes now. */
  ports(fd: number): number[];
  /**
   * Copies the frames the kernel has filled into `buffer` and frees their slots: per frame a
   * 16-byte little-endian header (captured bytes, wire length, the kernel's CLOCK_REALTIME
   * stamp in seconds and nanoseconds) and the packet from its IP header, padded to 4 bytes.
   * Returns the bytes written; frames that do not fit stay for the next read.
   */
  read(fd: number, buffer: ArrayBufferView): number;
  /**
   * CLOCK_MONOTONIC read before and after one CLOCK_REALTIME read: [seconds, nanoseconds] of
   * realtime minus the second monotonic read (nanoseconds 0 to 999 999 999), and the two
   * monotonic reads' distance in ns (a preempted thread makes it wide).
   */
  clockSample(): [seconds: number, nanoseconds: number, widthNs: number];
  /** PACKET_STATISTICS since the previous call: [packets accepted, copies dropped]. */
  stats(fd: number): [number, number];
  /** Opens and closes a packet socket: [errno (0 = allowed), failing step]. */
  probe(): [number, string];
  readonly constants: {
    readonly FRAME_HEADER: number;
    readonly SNAP_LENGTH: number;
    readonly MAX_PORTS: number;
    readonly FRAMES: number;
  };
}

/**
 * Forged segments through a raw IP socket, to an owned socket's own address and port, from its
 * peer (fromFd -1) or from another owned socket's local address; loopback only.
 */
export interface NativeForge {
  /** [errno (0 = sent), failing step]; refuses non-loopback ends with ERR_INVALID_ARG_VALUE. */
  send(
    fd: number,
    fromFd: number,
    flags: number,
    seq: number,
    ack: number,
    window: number,
    payload: ArrayBufferView,
  ): [number, string];
  /** Opens and closes the raw socket: [errno (0 = allowed), failing step]. */
  probe(): [number, string];
  readonly constants: { readonly MAX_PAYLOAD: number };
}

export interface NativeBinding {
  readonly options: NativeOptions;
  readonly tcpInfo: NativeTcpInfo;
  readonly queues: NativeQueues;
  readonly rawIo: NativeRawIo;
  readonly poll: NativePoll;
  readonly filter: NativeFilter;
  readonly diag: NativeDiag;
  readonly netns: NativeNetns;
  readonly sockets: NativeSockets;
  readonly capture: NativeCapture;
  readonly forge: NativeForge;
}

/** The package's root directory (where package.json, dist/ and build/ are). */
export const packageRoot = path.join(__dirname, '..', '..');

interface Loaded {
  readonly binding: NativeBinding;
  readonly file: string;
}

function load(): Loaded {
  if (process.platform !== 'linux') {
    // The binary for other systems (native/unsupported.cc) only throws this; say it before
    // node-gyp-build's "No native build was found" sends the user off to build one.
    throw codedError(
      'ERR_SOCKCTL_UNSUPPORTED_PLATFORM',
      `sockctl supports Linux only (this is ${process.platform}-${process.arch})`,
    );
  }
  try {
    // resolve() before require: a test that refuses source builds (PREBUILDS_ONLY=1) checks
    // which file was loaded.
    const file = nodeGypBuild.resolve(packageRoot);
    return { binding: require(file) as NativeBinding, file };
  } catch (cause) {
    // node-gyp-build's own test: with /etc/alpine-release it takes the system for musl and skips
    // the glibc-tagged prebuilds.
    const libc = existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
    const error = codedError(
      'ERR_SOCKCTL_NO_BINARY',
      `sockctl: no native binary fits ${process.platform}-${process.arch} with ${libc} (Node ` +
        `${process.version}, N-API). Prebuilds ship for linux-x64 and linux-arm64 with glibc; other ` +
        `CPUs and musl (Alpine) need a source build: install a C++ ` +
        `toolchain (g++, make) and Python, then allow the package's install script and rerun it ` +
        `(npm 11: \`npm install-scripts approve sockctl && npm rebuild sockctl\`), or run ` +
        `\`npx node-gyp rebuild\` in ${packageRoot}.`,
    );
    (error as Error & { cause?: unknown }).cause = cause;
    throw error;
  }
}

const loaded = load();

/** The loaded addon, shared by every module of this package. */
export const native: NativeBinding = loaded.binding;

/** Absolute path of the loaded `.node` file: under `prebuilds/` or `build/`. */
export const nativePath: string = loaded.file;
