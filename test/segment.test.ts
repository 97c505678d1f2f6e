// The header decoder (src/raw/segment.ts) on packets built byte by byte, and on garbage: a frame
// the decoder cannot read is counted, never thrown, and never read past.
import { describe, expect, it } from 'vitest';
import { decodeFrames, decodeSegment, FRAME_HEADER, flagBitsOf, flagLetters } from '../src/raw/segment.js';

/** An IPv4 + TCP packet as the capture hands it over (the payload is not captured). */
function ipv4Packet(o: {
  flags: number;
  seq: number;
  ack: number;
  window: number;
  payload: number;
  options?: number[];
}): Uint8Array {
  const options = o.options ?? [];
  const tcpLength = 20 + options.length;
  const bytes = new Uint8Array(20 + tcpLength);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 0x45);
  view.setUint16(2, 20 + tcpLength + o.payload);
  view.setUint8(9, 6);
  bytes.set([127, 0, 0, 1], 12);
  bytes.set([127, 0, 0, 2], 16);
  view.setUint16(20, 40000);
  view.setUint16(22, 80);
  view.setUint32(24, o.seq);
  view.setUint32(28, o.ack);
  view.setUint8(32, (tcpLength / 4) << 4);
  view.setUint8(33, o.flags);
  view.setUint16(34, o.window);
  bytes.set(options, 40);
  return bytes;
}

function ipv6Packet(flags: number, payload: number): Uint8Array {
  const bytes = new Uint8Array(60);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, 0x60);
  view.setUint16(4, 20 + payload);
  view.setUint8(6, 6);
  bytes[23] = 1; // source ::1
  bytes[39] = 1; // destination ::1
  view.setUint16(40, 5000);
  view.setUint16(42, 6000);
  view.setUint32(44, 0xfffffff0);
  view.setUint8(52, 5 << 4);
  view.setUint8(53, flags);
  return bytes;
}

/** Frames as the addon writes them: a 16-byte little-endian header, the packet, padding to 4. */
function frames(...packets: Array<{ bytes: Uint8Array; wire?: number; seconds?: number; nanos?: number }>): Uint8Array {
  const size = packets.reduce((n, p) => n + FRAME_HEADER + Math.ceil(p.bytes.length / 4) * 4, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of packets) {
    view.setUint32(at, p.bytes.length, true);
    view.setUint32(at + 4, p.wire ?? p.bytes.length, true);
    view.setUint32(at + 8, p.seconds ?? 1, true);
    view.setUint32(at + 12, p.nanos ?? 500_000, true);
    out.set(p.bytes, at + FRAME_HEADER);
    at += FRAME_HEADER + Math.ceil(p.bytes.length / 4) * 4;
  }
  return out;
}

const toMs = (s: number, ns: number) => s * 1e3 + ns / 1e6;

describe('decodeSegment', () => {
  it('reads an IPv4 SYN with its options: MSS, SACK permitted, timestamps, window scale', () => {
    const options = [2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0, 1, 3, 3, 7];
    const segment = decodeSegment(ipv4Packet({ flags: 0x02, seq: 123, ack: 0, window: 65495, payload: 0, options }), 5);
    expect(segment).toEqual({
      at: 5,
      family: 4,
      source: { address: '127.0.0.1', port: 40000 },
      destination: { address: '127.0.0.2', port: 80 },
      seq: 123,
      ack: 0,
      flags: 'S',
      flagBits: 0x02,
      window: 65495,
      length: 0,
      options: { mss: 65495, sackPermitted: true, timestamp: [7, 0], windowScale: 7 },
    });
  });

  it('takes the payload length from the IP header, not from what was captured', () => {
    const segment = decodeSegment(ipv4Packet({ flags: 0x18, seq: 1, ack: 2, window: 512, payload: 1000 }), 0);
    expect(segment).toMatchObject({ flags: 'P.', length: 1000 });
    // A packet shorter on the wire than its header claims is read by the wire length.
    expect(decodeSegment(ipv4Packet({ flags: 0x10, seq: 1, ack: 2, window: 1, payload: 1000 }), 0, 60)?.length).toBe(20);
  });

  it('reads IPv6 between ::1 and ::1', () => {
    expect(decodeSegment(ipv6Packet(0x14, 0), 0)).toMatchObject({
      family: 6,
      source: { address: '::1', port: 5000 },
      destination: { address: '::1', port: 6000 },
      seq: 0xfffffff0,
      flags: 'R.',
      length: 0,
    });
  });

  it('names flags in tcpdump letters, and back', () => {
    expect([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x19, 0xc2, 0].map(flagLetters)).toEqual([
      'S',
      'S.',
      '.',
      'P.',
      'F.',
      'R',
      'R.',
      'FP.',
      'SEW',
      'none',
    ]);
    expect(flagBitsOf('R.')).toBe(0x14);
    expect(flagBitsOf('X')).toBeUndefined();
  });

  it('refuses what is not a whole IPv4/IPv6 + TCP header', () => {
    const good = ipv4Packet({ flags: 0x10, seq: 1, ack: 1, window: 1, payload: 0 });
    expect(decodeSegment(good.subarray(0, 39), 0)).toBeUndefined();
    const udp = good.slice();
    udp[9] = 17;
    expect(decodeSegment(udp, 0)).toBeUndefined();
    const shortIhl = good.slice();
    shortIhl[0] = 0x44;
    // Read as TCP from byte 16, it would even have a valid data offset: only the IHL check stops it.
    shortIhl[28] = 5 << 4;
    expect(decodeSegment(shortIhl, 0)).toBeUndefined();
    shortIhl[0] = 0x45;
    expect(decodeSegment(shortIhl, 0)).toBeDefined();
    // IPv6 whose next header is UDP, and a version 7 packet laid out like IPv6: not TCP.
    const v6 = ipv6Packet(0x10, 0);
    expect(decodeSegment(v6, 0)).toBeDefined();
    const v6udp = v6.slice();
    v6udp[6] = 17;
    expect(decodeSegment(v6udp, 0)).toBeUndefined();
    const v7 = v6.slice();
    v7[0] = 0x70;
    expect(decodeSegment(v7, 0)).toBeUndefined();
    const shortOffset = good.slice();
    shortOffset[32] = 4 << 4;
    expect(decodeSegment(shortOffset, 0)).toBeUndefined();
    expect(decodeSegment(new Uint8Array(0), 0)).toBeUndefined();
    expect(decodeSegment(Uint8Array.of(0x70, 0, 0, 0), 0)).toBeUndefined();
  });

  it('stops at malformed options instead of reading past the header', () => {
    // An option whose length runs past the header, then one of length 0.
    for (const options of [
      [2, 40, 0, 0],
      [3, 0, 0, 0],
      [8, 10, 0, 0],
    ]) {
      const segment = decodeSegment(ipv4Packet({ flags: 0x02, seq: 1, ack: 0, window: 1, payload: 0, options }), 0);
      expect(segment?.options).toEqual({});
    }
  });

  it('reads SACK blocks, skips NOPs and unknown kinds by their length, ignores known kinds of the wrong length', () => {
    const options = (bytes: number[]) =>
      decodeSegment(ipv4Packet({ flags: 0x10, seq: 1, ack: 1, window: 1, payload: 0, options: bytes }), 0)?.options;
    // NOP NOP, SACK with two blocks (1-2, 0xfffffff0-0xffffffff).
    expect(options([1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 0xff])).toEqual({
      sack: [
        [1, 2],
        [0xfffffff0, 0xffffffff],
      ],
    });
    // An unknown kind 30 of length 4, then MSS: read past the unknown one.
    expect(options([30, 4, 9, 9, 2, 4, 0x05, 0xb4])).toEqual({ mss: 1460 });
    // MSS of length 5, window scale of length 4, SACK-permitted of length 3, a timestamp of 9, SACK of 11: not theirs.
    expect(
      options([2, 5, 1, 2, 3, 3, 4, 1, 2, 4, 3, 0, 8, 9, 0, 0, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]),
    ).toEqual({});
    // End of options: nothing after it is read.
    expect(options([0, 2, 2, 4, 0x05, 0xb4, 0, 0])).toEqual({});
    // A kind with no room for its length byte at the very end of the header.
    expect(options([1, 1, 1, 2])).toEqual({});
    // An option that ends exactly at the end of the header is read.
    expect(options([1, 1, 1, 1, 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8])).toEqual({ timestamp: [9, 8] });
    expect(options([1, 3, 3, 14])).toEqual({ windowScale: 14 });
    expect(options([1, 1, 4, 2])).toEqual({ sackPermitted: true });
  });
});

describe('decodeFrames', () => {
  it('reads consecutive frames with their times and wire lengths', () => {
    const a = ipv4Packet({ flags: 0x02, seq: 1, ack: 0, window: 1, payload: 0 });
    const b = ipv6Packet(0x10, 7);
    const bytes = frames({ bytes: a, seconds: 2, nanos: 250_000_000 }, { bytes: b, wire: 67 });
    const { segments, malformed } = decodeFrames(bytes, bytes.length, toMs);
    expect(malformed).toBe(0);
    expect(segments.map((s) => [s.flags, s.at, s.length])).toEqual([
      ['S', 2250, 0],
      ['.', 1000.5, 7],
    ]);
  });

  it('counts a frame it cannot read and goes on; a length past the buffer ends the read', () => {
    const good = ipv4Packet({ flags: 0x10, seq: 1, ack: 1, window: 1, payload: 0 });
    const bytes = frames({ bytes: new Uint8Array(7) }, { bytes: good });
    expect(decodeFrames(bytes, bytes.length, toMs)).toMatchObject({ malformed: 1, segments: [{ flags: '.' }] });
    const lying = frames({ bytes: good });
    new DataView(lying.buffer).setUint32(0, 0xffffffff, true);
    expect(decodeFrames(lying, lying.length, toMs)).toEqual({ segments: [], malformed: 1 });
    // One byte more than the buffer holds after the header is a lie too.
    new DataView(lying.buffer).setUint32(0, good.length + 1, true);
    expect(decodeFrames(lying, lying.length, toMs)).toEqual({ segments: [], malformed: 1 });
    new DataView(lying.buffer).setUint32(0, good.length, true);
    expect(decodeFrames(lying, lying.length, toMs)).toMatchObject({ segments: [{ flags: '.' }], malformed: 0 });
    // `used` past the buffer is clamped to it.
    expect(decodeFrames(bytes, 1 << 20, toMs).segments).toHaveLength(1);
  });

  it('never throws on random bytes (5000 buffers)', () => {
    // A fixed seed: a failure repeats.
    let state = 0x2545f491;
    const random = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    let decoded = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = new Uint8Array(random() % 400);
      for (let j = 0; j < bytes.length; j++) bytes[j] = random() & 0xff;
      // Half of them with a plausible frame length and IP version, so the deep paths run too.
      if (i % 2 === 0 && bytes.length >= 24) {
        new DataView(bytes.buffer).setUint32(0, Math.min(bytes.length - 16, random() % 128), true);
        bytes[16] = random() & 1 ? 0x45 : 0x60;
        bytes[25] = 6;
        bytes[22] = 6;
      }
      const out = decodeFrames(bytes, random() % 500, toMs);
      decoded += out.segments.length;
      for (const s of out.segments) expect(s.length).toBeGreaterThanOrEqual(0);
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
