// cBPF programs are assembled in TypeScript (src/raw/filter.ts) and copied by the kernel as
// struct sock_filter records; a wrong byte here is a filter that does something else.
import { describe, expect, it } from 'vitest';
import { BPF, DROP_ALL, encode, jump, stmt } from '../src/raw/filter.js';

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
