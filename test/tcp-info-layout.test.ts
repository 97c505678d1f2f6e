// Each decoded tcp_info field read from its own offset, checked against a layout written down
// independently of src/controls/tcp-info.ts: struct tcp_info as include/uapi/linux/tcp.h
// declares it in Linux 6.18, member by member, with offsets computed by C's layout rules. A
// buffer with one field set and every other byte 0 must decode to that field alone, so a field
// read at a neighbour's offset (rttUs and rttvarUs swapped, say) fails. Where a C compiler and
// the system's <linux/tcp.h> are present, offsetof() confirms this transcription for every
// member that header has.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTcpInfo, TCP_CA_STATES, TCP_INFO_SIZE, TCP_STATES } from '../src/index.js';
import { messageOf } from './helpers.js';

// include/uapi/linux/tcp.h, struct tcp_info (Linux 6.18). `name:bits` is a bit field.
const STRUCT_TCP_INFO = `
  __u8 tcpi_state; __u8 tcpi_ca_state; __u8 tcpi_retransmits; __u8 tcpi_probes; __u8 tcpi_backoff;
  __u8 tcpi_options; __u8 tcpi_snd_wscale:4; __u8 tcpi_rcv_wscale:4;
  __u8 tcpi_delivery_rate_app_limited:1; __u8 tcpi_fastopen_client_fail:2;
  __u32 tcpi_rto; __u32 tcpi_ato; __u32 tcpi_snd_mss; __u32 tcpi_rcv_mss;
  __u32 tcpi_unacked; __u32 tcpi_sacked; __u32 tcpi_lost; __u32 tcpi_retrans; __u32 tcpi_fackets;
  __u32 tcpi_last_data_sent; __u32 tcpi_last_ack_sent; __u32 tcpi_last_data_recv; __u32 tcpi_last_ack_recv;
  __u32 tcpi_pmtu; __u32 tcpi_rcv_ssthresh; __u32 tcpi_rtt; __u32 tcpi_rttvar; __u32 tcpi_snd_ssthresh;
  __u32 tcpi_snd_cwnd; __u32 tcpi_advmss; __u32 tcpi_reordering;
  __u32 tcpi_rcv_rtt; __u32 tcpi_rcv_space;
  __u32 tcpi_total_retrans;
  __u64 tcpi_pacing_rate; __u64 tcpi_max_pacing_rate; __u64 tcpi_bytes_acked; __u64 tcpi_bytes_received;
  __u32 tcpi_segs_out; __u32 tcpi_segs_in;
  __u32 tcpi_notsent_bytes; __u32 tcpi_min_rtt; __u32 tcpi_data_segs_in; __u32 tcpi_data_segs_out;
  __u64 tcpi_delivery_rate;
  __u64 tcpi_busy_time; __u64 tcpi_rwnd_limited; __u64 tcpi_sndbuf_limited;
  __u32 tcpi_delivered; __u32 tcpi_delivered_ce;
  __u64 tcpi_bytes_sent; __u64 tcpi_bytes_retrans; __u32 tcpi_dsack_dups; __u32 tcpi_reord_seen;
  __u32 tcpi_rcv_ooopack;
  __u32 tcpi_snd_wnd; __u32 tcpi_rcv_wnd;
  __u32 tcpi_rehash;
  __u16 tcpi_total_rto; __u16 tcpi_total_rto_recoveries; __u32 tcpi_total_rto_time;
  __u32 tcpi_received_ce; __u32 tcpi_delivered_e1_bytes; __u32 tcpi_delivered_e0_bytes;
  __u32 tcpi_delivered_ce_bytes; __u32 tcpi_received_e1_bytes; __u32 tcpi_received_e0_bytes;
  __u32 tcpi_received_ce_bytes; __u16 tcpi_accecn_fail_mode; __u16 tcpi_accecn_opt_seen;
`;

// sockctl's naming: tcpi_ dropped, camelCase, the unit appended where the kernel's is implicit.
const UNITS: Record<string, string> = {
  rto: 'Us',
  ato: 'Us',
  rtt: 'Us',
  rttvar: 'Us',
  rcv_rtt: 'Us',
  min_rtt: 'Us',
  busy_time: 'Us',
  rwnd_limited: 'Us',
  sndbuf_limited: 'Us',
  last_data_sent: 'Ms',
  last_ack_sent: 'Ms',
  last_data_recv: 'Ms',
  last_ack_recv: 'Ms',
  total_rto_time: 'Ms',
  pacing_rate: 'Bps',
  max_pacing_rate: 'Bps',
  delivery_rate: 'Bps',
};
const camel = (kernel: string) => kernel.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) + (UNITS[kernel] ?? '');

interface Member {
  kernel: string;
  name: string;
  offset: number;
  size: number;
  shift?: number;
  width?: number;
}

/** Offsets by C's rules: each member aligned to its size; u8 bit fields packed into one byte. */
function layout(): Member[] {
  const members: Member[] = [];
  let offset = 0;
  let bit = 8; // bits used in the current bit-field byte; 8 = none open
  for (const [, type, kernel, bits] of STRUCT_TCP_INFO.matchAll(/__u(8|16|32|64)\s+tcpi_(\w+)(?::(\d+))?;/g)) {
    const size = Number(type) / 8;
    if (bits !== undefined) {
      const width = Number(bits);
      if (bit + width > 8) {
        bit = 0;
        offset += 1;
      }
      members.push({ kernel, name: camel(kernel), offset: offset - 1, size: 1, shift: bit, width });
      bit += width;
      continue;
    }
    bit = 8;
    offset = Math.ceil(offset / size) * size;
    members.push({ kernel, name: camel(kernel), offset, size });
    offset += size;
  }
  return members;
}

const MEMBERS = layout();

/** A distinct value for member `i` that fills its type (both halves of a u64). */
function valueFor(member: Member, i: number): number {
  if (member.width !== undefined) return (1 << member.width) - 1;
  if (member.kernel === 'state') return 10; // LISTEN
  if (member.kernel === 'ca_state') return 4; // Loss
  if (member.size === 1) return 0x80 + i;
  if (member.size === 2) return 0x8000 + i;
  if (member.size === 4) return 0x80000000 + i;
  return 2 ** 40 + 0x01000000 + i;
}

function write(view: DataView, member: Member, value: number): void {
  if (member.width !== undefined) view.setUint8(member.offset, value << (member.shift ?? 0));
  else if (member.size === 1) view.setUint8(member.offset, value);
  else if (member.size === 2) view.setUint16(member.offset, value, true);
  else if (member.size === 4) view.setUint32(member.offset, value, true);
  else view.setBigUint64(member.offset, BigInt(value), true);
}

function decoded(member: Member, value: number): unknown {
  if (member.kernel === 'state') return TCP_STATES[value];
  if (member.kernel === 'ca_state') return TCP_CA_STATES[value];
  return value;
}

describe('struct tcp_info, field by field', () => {
  it('the transcription spans the whole struct', () => {
    const last = MEMBERS[MEMBERS.length - 1];
    expect(last.offset + last.size).toBe(TCP_INFO_SIZE);
    expect(MEMBERS.find((m) => m.kernel === 'rtt')).toMatchObject({ name: 'rttUs', offset: 68 });
    expect(MEMBERS.find((m) => m.kernel === 'rttvar')).toMatchObject({ name: 'rttvarUs', offset: 72 });
  });

  it.each(MEMBERS.map((m, i) => [m.name, m, i] as const))(
    '%s is read from its own bytes and only from them',
    (_name, member, i) => {
      const bytes = new Uint8Array(TCP_INFO_SIZE);
      const value = valueFor(member, i);
      write(new DataView(bytes.buffer), member, value);
      const info = decodeTcpInfo(bytes) as unknown as Record<string, unknown>;
      expect(info[member.name]).toBe(decoded(member, value));
      for (const other of MEMBERS) {
        if (other === member) continue;
        const zero = other.kernel === 'state' ? 'UNKNOWN' : other.kernel === 'ca_state' ? 'Open' : 0;
        expect(info[other.name], `${other.name} while only ${member.name} is set`).toBe(zero);
      }
      // Nothing decoded that the struct does not have.
      expect(Object.keys(info).sort()).toEqual(['length', ...MEMBERS.map((m) => m.name)].sort());
    },
  );

  const cc = spawnSync('cc', ['--version'], { encoding: 'utf8' });
  it.skipIf(cc.status !== 0)("matches offsetof() of the system's <linux/tcp.h> for every member it declares", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sockctl-tcp-info-'));
    try {
      const preprocessed = spawnSync('cc', ['-E', '-x', 'c', '-'], { input: '#include <linux/tcp.h>\n', encoding: 'utf8' });
      expect(preprocessed.status, preprocessed.stderr).toBe(0);
      const declared = preprocessed.stdout;
      const present = MEMBERS.filter((m) => m.width === undefined && new RegExp(`\\btcpi_${m.kernel}\\b`).test(declared));
      const program = [
        '#include <stdio.h>',
        '#include <stddef.h>',
        '#include <linux/tcp.h>',
        'int main(void) {',
        ...present.map((m) => `  printf("%s %zu\\n", "${m.kernel}", offsetof(struct tcp_info, tcpi_${m.kernel}));`),
        '  printf("sizeof %zu\\n", sizeof(struct tcp_info));',
        '  return 0;',
        '}',
      ].join('\n');
      const source = path.join(dir, 'offsets.c');
      const binary = path.join(dir, 'offsets');
      writeFileSync(source, program);
      const build = spawnSync('cc', ['-o', binary, source], { encoding: 'utf8' });
      expect(build.status, build.stderr).toBe(0);
      const out = spawnSync(binary, { encoding: 'utf8' }).stdout.trim().split('\n');
      const offsets = Object.fromEntries(out.map((line) => line.split(' ')).map(([k, v]) => [k, Number(v)]));
      console.log(`<linux/tcp.h> here declares ${present.length} byte-aligned members, struct of ${offsets.sizeof} bytes`);
      // Debian 12's header (Linux 6.1) declares 52; an older one fewer, never this few.
      expect(present.length).toBeGreaterThanOrEqual(40);
      for (const m of present) expect(offsets[m.kernel], m.kernel).toBe(m.offset);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('decodeTcpInfo arguments', () => {
  it('takes any ArrayBufferView and a length, and refuses anything else', () => {
    expect(() => decodeTcpInfo('x' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => decodeTcpInfo(new Uint8Array(8), '8' as unknown as number)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    // The length is clamped to the bytes there are: nothing past them is read.
    expect(decodeTcpInfo(new Uint8Array([1, 2]), 999)).toMatchObject({
      length: 2,
      state: 'ESTABLISHED',
      caState: 'CWR',
      retransmits: undefined,
    });
    expect(decodeTcpInfo(new Uint8Array([1, 2]), -5)).toMatchObject({ length: 0, state: 'UNKNOWN', caState: undefined });
    // A fractional length counts whole bytes; NaN none; no length means all of them.
    expect(decodeTcpInfo(new Uint8Array([1, 2]), 1.9)).toMatchObject({ length: 1, state: 'ESTABLISHED', caState: undefined });
    expect(decodeTcpInfo(new Uint8Array([1, 2]), NaN)).toMatchObject({ length: 0, state: 'UNKNOWN' });
    expect(decodeTcpInfo(new Uint8Array([1, 2]))).toMatchObject({ length: 2, caState: 'CWR' });
    // Any view: a DataView, or a typed array at an offset into its buffer.
    const backing = new Uint8Array([9, 9, 10, 0]);
    expect(decodeTcpInfo(new DataView(backing.buffer, 2))).toMatchObject({ length: 2, state: 'LISTEN', caState: 'Open' });
    expect(decodeTcpInfo(backing.subarray(2), 2)).toMatchObject({ length: 2, state: 'LISTEN' });
    expect(decodeTcpInfo(new Uint8Array(0))).toMatchObject({ length: 0, state: 'UNKNOWN' });
    expect(messageOf(() => decodeTcpInfo([1, 2] as never))).toContain(
      'The "bytes" argument must be an ArrayBufferView. Received an instance of Array',
    );
    expect(messageOf(() => decodeTcpInfo(new Uint8Array(2), null as never))).toContain(
      'The "length" argument must be of type number. Received null',
    );
  });

  it('a view whose buffer was transferred away decodes as empty instead of throwing', () => {
    const backing = new ArrayBuffer(TCP_INFO_SIZE);
    const view = new Uint8Array(backing);
    structuredClone(backing, { transfer: [backing] });
    expect(decodeTcpInfo(view, TCP_INFO_SIZE)).toMatchObject({ length: 0, state: 'UNKNOWN', rttUs: undefined });
  });
});
