// cBPF programs are assembled in TypeScript (src/raw/filter.ts) and copied by the kernel as
// struct sock_filter records; a wrong byte here is a filter that does something else.
import { describe, expect, it } from 'vitest';
import { BPF, DROP_ALL, encode, HANDSHAKE_ONLY, jump, lossProgram, SKF_AD_RANDOM, stmt } from '../src/raw/filter.js';

describe('cBPF encoding', () => {
  it('DROP_ALL is the single record BPF_STMT(BPF_RET | BPF_K, 0)', () => {
    expect([...DROP_ALL]).toEqual([0x06, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('lays out code, jt, jf and k as struct sock_filter in host byte order', () => {
    const bytes = encode([jump(BPF.JMP | BPF.JGT | BPF.X, 0x01020304, 1, 2), stmt(BPF.RET | BPF.K, 0xffffffff)]);
    expect(bytes.byteLength).toBe(16);
    // x86-64 and arm64 are little-endian: code 0x002d (BPF_JMP 0x05 | BPF_JGT 0x20 | BPF_X 0x08), then jt, jf, then k.
    expect([...bytes.subarray(0, 8)]).toEqual([0x2d, 0x00, 1, 2, 0x04, 0x03, 0x02, 0x01]);
    // `ret #-1` (keep the whole packet) as the kernel's u32.
    expect([...bytes.subarray(8)]).toEqual([0x06, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  });

  it('opcode parts match linux/bpf_common.h', () => {
    expect(BPF.LD | BPF.W | BPF.ABS).toBe(0x20);
    expect(BPF.LD | BPF.B | BPF.ABS).toBe(0x30);
    expect(BPF.LD | BPF.W | BPF.LEN).toBe(0x80);
    expect(BPF.LDX | BPF.B | BPF.MSH).toBe(0xb1);
    expect(BPF.ALU | BPF.RSH | BPF.K).toBe(0x74);
    expect(BPF.MISC | BPF.TAX).toBe(0x07);
    expect(BPF.JMP | BPF.JSET | BPF.K).toBe(0x45);
  });
});

describe('lossProgram', () => {
  // Instruction i of an encoded program: [code, jt, jf, k].
  const at = (bytes: Uint8Array, i: number) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset + i * 8, 8);
    return [view.getUint16(0, true), view.getUint8(2), view.getUint8(3), view.getUint32(4, true)];
  };

  it('rolls the kernel random number against fraction × 2^32 for segments with payload only', () => {
    const program = lossProgram(0.25);
    expect(program.byteLength).toBe(11 * 8);
    // The TCP header length into X, then `ld len`: payload when len > X.
    expect(at(program, 0)).toEqual([BPF.LD | BPF.B | BPF.ABS, 0, 0, 12]);
    expect(at(program, 4)).toEqual([BPF.LD | BPF.W | BPF.LEN, 0, 0, 0]);
    expect(at(program, 5)).toEqual([BPF.JMP | BPF.JGT | BPF.X, 1, 0, 0]);
    expect(at(program, 6)).toEqual([BPF.RET | BPF.K, 0, 0, 0xffffffff]);
    expect(at(program, 7)).toEqual([BPF.LD | BPF.W | BPF.ABS, 0, 0, SKF_AD_RANDOM]);
    expect(SKF_AD_RANDOM).toBe(0xfffff038);
    expect(at(program, 8)).toEqual([BPF.JMP | BPF.JGE | BPF.K, 0, 1, 0x40000000]);
    expect(at(program, 9)).toEqual([BPF.RET | BPF.K, 0, 0, 0xffffffff]);
    expect(at(program, 10)).toEqual([BPF.RET | BPF.K, 0, 0, 0]);
    // The ends: nothing dropped at 0, everything but a 1 in 2^32 roll at 1.
    expect(at(lossProgram(0), 8)[3]).toBe(0);
    expect(at(lossProgram(1), 8)[3]).toBe(0xffffffff);
    expect(at(lossProgram(0.5), 8)[3]).toBe(0x80000000);
  });

  it('HANDSHAKE_ONLY drops a FIN or payload and keeps the rest', () => {
    expect(HANDSHAKE_ONLY.byteLength).toBe(10 * 8);
    expect(at(HANDSHAKE_ONLY, 0)).toEqual([BPF.LD | BPF.B | BPF.ABS, 0, 0, 13]);
    expect(at(HANDSHAKE_ONLY, 1)).toEqual([BPF.JMP | BPF.JSET | BPF.K, 6, 0, 0x01]);
    expect(at(HANDSHAKE_ONLY, 8)).toEqual([BPF.RET | BPF.K, 0, 0, 0xffffffff]);
    expect(at(HANDSHAKE_ONLY, 9)).toEqual([BPF.RET | BPF.K, 0, 0, 0]);
  });
});
