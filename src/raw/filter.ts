/**
 * Classic BPF socket filters, assembled here and attached by the addon with `SO_ATTACH_FILTER`.
 * A filter runs on every packet arriving for the socket before TCP sees it; the number it
 * returns is how many bytes to keep, so 0 drops the packet (no ACK, no RST: silence).
 * Instruction encoding: linux/filter.h, Documentation/networking/filter.rst.
 */
import os from 'node:os';
import { explainPermission, HOW_TO_GET_CAP_NET_ADMIN, probeAnswer, type ProbeResult } from '../controls/errors.js';
import { fdOf, type SocketLike } from '../controls/handle.js';
import { native } from '../controls/native.js';

/** One cBPF instruction: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }. */
export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Opcode parts (linux/bpf_common.h). */
export const BPF = Object.freeze({
  LD: 0x00,
  LDX: 0x01,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  MISC: 0x07,
  W: 0x00,
  H: 0x08,
  B: 0x10,
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  LEN: 0x80,
  MSH: 0xa0,
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  AND: 0x50,
  RSH: 0x70,
  LSH: 0x60,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  K: 0x00,
  X: 0x08,
  A: 0x10,
  TAX: 0x00,
  TXA: 0x80,
});

/** `BPF_STMT(code, k)`. */
export function stmt(code: number, k: number): Instruction {
  return { code, jt: 0, jf: 0, k };
}

/** `BPF_JUMP(code, k, jt, jf)`. */
export function jump(code: number, k: number, jt: number, jf: number): Instruction {
  return { code, jt, jf, k };
}

const littleEndian = os.endianness() === 'LE';

/** The program as the kernel reads it: 8 bytes an instruction, in this machine's byte order. */
export function encode(program: readonly Instruction[]): Uint8Array {
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach(({ code, jt, jf, k }, i) => {
    view.setUint16(i * 8, code, littleEndian);
    view.setUint8(i * 8 + 2, jt);
    view.setUint8(i * 8 + 3, jf);
    view.setUint32(i * 8 + 4, k >>> 0, littleEndian);
  });
  return bytes;
}

/** `ret #0`: keep 0 bytes of every packet, i.e. drop all. */
export const DROP_ALL: Uint8Array = encode([stmt(BPF.RET | BPF.K, 0)]);

/** `SKF_AD_OFF + SKF_AD_RANDOM` (linux/filter.h): an absolute load there reads a fresh random u32. */
export const SKF_AD_RANDOM = (0xfffff000 + 56) >>> 0;

// On a TCP socket the filter sees the segment from its TCP header on (tcp_filter runs after the
// IP header is pulled): byte 12's high nibble is the header length in words, byte 13 the flags,
// and `ld len` the header plus the payload.
const TCP_HEADER_LENGTH = [
  stmt(BPF.LD | BPF.B | BPF.ABS, 12),
  stmt(BPF.ALU | BPF.RSH | BPF.K, 4),
  stmt(BPF.ALU | BPF.LSH | BPF.K, 2),
  stmt(BPF.MISC | BPF.TAX, 0),
];
const TCP_FIN = 0x01;

/**
 * Lets the handshake through and drops every segment that carries payload or a FIN: on a
 * listening socket (whose filter the accepted sockets inherit) a connection is silent from its
 * first data byte, even for a client that writes before `accept()`. A pure ACK and an RST pass.
 */
export const HANDSHAKE_ONLY: Uint8Array = encode([
  stmt(BPF.LD | BPF.B | BPF.ABS, 13),
  jump(BPF.JMP | BPF.JSET | BPF.K, TCP_FIN, 6, 0), // FIN → drop
  ...TCP_HEADER_LENGTH,
  stmt(BPF.LD | BPF.W | BPF.LEN, 0),
  jump(BPF.JMP | BPF.JGT | BPF.X, 0, 1, 0), // payload → drop
  stmt(BPF.RET | BPF.K, 0xffffffff),
  stmt(BPF.RET | BPF.K, 0),
]);

/**
 * Drops each segment that carries payload with probability `fraction` (the kernel's own
 * random number, `SKF_AD_RANDOM`, below `fraction` × 2³²): the sender's kernel retransmits, no
 * byte is lost or corrupted. Segments without payload (handshake, ACKs, FIN, RST) all pass.
 */
export function lossProgram(fraction: number): Uint8Array {
  const threshold = Math.min(0xffffffff, Math.round(fraction * 2 ** 32));
  return encode([
    ...TCP_HEADER_LENGTH,
    stmt(BPF.LD | BPF.W | BPF.LEN, 0),
    jump(BPF.JMP | BPF.JGT | BPF.X, 0, 1, 0), // payload → roll
    stmt(BPF.RET | BPF.K, 0xffffffff),
    stmt(BPF.LD | BPF.W | BPF.ABS, SKF_AD_RANDOM),
    jump(BPF.JMP | BPF.JGE | BPF.K, threshold, 0, 1), // random >= threshold → keep
    stmt(BPF.RET | BPF.K, 0xffffffff),
    stmt(BPF.RET | BPF.K, 0),
  ]);
}

/** Why attaching a filter to a TCP socket can fail EPERM, and what to do about it. */
export const FILTER_EPERM =
  'attaching a socket filter (SO_ATTACH_FILTER) to a TCP socket needs CAP_NET_ADMIN in the ' +
  "socket's network namespace on current kernels (stable 6.1 from 6.1.176, 6.12, 6.18; older " +
  'kernels allowed it unprivileged, so this can start failing after a kernel update). ' +
  HOW_TO_GET_CAP_NET_ADMIN;

/**
 * Attaches an encoded program (see {@link encode}) to the socket with `SO_ATTACH_FILTER`,
 * replacing any filter it had. An EPERM says what is missing (`missing: 'CAP_NET_ADMIN'`).
 */
export function attachFilter(socket: SocketLike, program: Uint8Array): void {
  const fd = fdOf(socket);
  try {
    native.filter.attach(fd, program);
  } catch (error) {
    throw explainPermission(error, FILTER_EPERM);
  }
}

/** `SO_DETACH_FILTER`; ENOENT when no filter is attached. */
export function detachFilter(socket: SocketLike): void {
  native.filter.detach(fdOf(socket));
}

/**
 * Whether a filter can be attached to a TCP socket here: attaches the drop-all program to a
 * throwaway, unconnected IPv4 TCP socket and closes it. The answer comes from the running
 * kernel, not from the uid.
 */
export function canAttachFilter(): ProbeResult {
  const [errno, syscall] = native.filter.probe(4);
  return probeAnswer(errno, syscall, FILTER_EPERM, 'the kernel refused a socket filter on a fresh TCP socket.');
}
