/**
 * Loads the compiled addon with node-gyp-build (a local `build/Release` if there is one, else a
 * prebuild from `prebuilds/`) and types it. This interface is the whole contract with native/.
 */
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
  readonly constants: NativeConstants;
}

export interface NativeTcpInfo {
  /** Copies struct tcp_info into `buffer`, returns the length the kernel wrote. */
  tcpInfo(fd: number, buffer: ArrayBufferView): number;
}

export interface NativeQueues {
  /** [SIOCINQ, SIOCOUTQ, SIOCOUTQNSD] in bytes. */
  queues(fd: number): [number, number, number];
}

export interface NativeBinding {
  readonly options: NativeOptions;
  readonly tcpInfo: NativeTcpInfo;
  readonly queues: NativeQueues;
}

const packageRoot = path.join(__dirname, '..');

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
    const error = codedError(
      'ERR_SOCKCTL_NO_BINARY',
      `sockctl: no native binary fits ${process.platform}-${process.arch} (Node ${process.version}, ` +
        `N-API). Prebuilds ship for linux-x64 (glibc). Elsewhere build from source: install a C++ ` +
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
