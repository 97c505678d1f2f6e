// The fault server's own HTTP/1.1 framing (src/faults/http.ts): where a request ends decides
// which bytes a `respond` step consumes and which stay for the next request.
import { describe, expect, it } from 'vitest';
import {
  HttpFramingError,
  httpResponse,
  MAX_HEAD,
  randomData,
  RequestFramer,
  requestEnd,
  requestLine,
} from '../src/faults/http.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('requestEnd', () => {
  it('a request without a body ends at the blank line; bytes after it are the next request', () => {
    const two = b('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n');
    const end = requestEnd(two);
    expect(two.subarray(end).toString('latin1')).toBe('GET /b HTTP/1.1\r\n\r\n');
    expect(requestLine(two)).toBe('GET /a HTTP/1.1');
  });

  it('content-length: incomplete until every body byte is in', () => {
    const head = 'POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n';
    expect(requestEnd(b(`${head}abcd`))).toBe(-1);
    expect(requestEnd(b(`${head}abcdeXYZ`))).toBe(head.length + 5);
  });

  it('a chunked body is read by its sizes, so chunk data holding "0\\r\\n\\r\\n" does not end it', () => {
    const data = 'x0\r\n\r\ny'; // 7 bytes that contain the terminator's text
    const body = `7\r\n${data}\r\n3;ext=1\r\nabc\r\n0\r\n\r\n`;
    const request = `POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
    expect(requestEnd(b(request))).toBe(request.length);
    expect(requestEnd(b(`${request}GET / HTTP/1.1\r\n\r\n`))).toBe(request.length);
    // Every prefix is incomplete, including the one that ends right after the data's "0\r\n\r\n".
    for (let cut = request.length - 1; cut > request.indexOf('\r\n\r\n') + 4; cut--) {
      expect(requestEnd(b(request.slice(0, cut))), String(cut)).toBe(-1);
    }
  });

  it('trailers after the last chunk belong to the request', () => {
    const request = 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Sum: 1\r\n\r\n';
    expect(requestEnd(b(`${request}NEXT`))).toBe(request.length);
  });

  it('refuses what cannot be framed: bad sizes, conflicting lengths, a head over the limit', () => {
    const bad = [
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n',
      'POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n',
      'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
    ];
    for (const request of bad) {
      expect(() => requestEnd(b(request)), JSON.stringify(request)).toThrow(expect.objectContaining({ result: 'EBADMSG' }));
    }
    const huge = b(`GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD)}`);
    expect(() => requestEnd(huge)).toThrow(HttpFramingError);
    expect(() => requestEnd(huge)).toThrow(expect.objectContaining({ result: 'E2BIG', code: 'ERR_SOCKCTL_HTTP_FRAMING' }));
  });
});

/** Feeds `request` to a new framer in the pieces `sizes` cuts (the last piece runs to the end). */
function feed(bytes: Buffer, sizes: (i: number) => number) {
  const framer = new RequestFramer();
  let at = 0;
  let consumed = 0;
  // Bounded: every piece is at least one byte.
  for (let i = 0; at < bytes.byteLength && !framer.done; i++) {
    const piece = bytes.subarray(at, at + Math.max(1, sizes(i)));
    const used = framer.push(piece);
    expect(used, `piece ${i} at ${at}`).toBeLessThanOrEqual(piece.byteLength);
    if (!framer.done) expect(used, `piece ${i} at ${at}: a request not done takes all it is given`).toBe(piece.byteLength);
    consumed += used;
    at += piece.byteLength;
  }
  return { framer, consumed };
}

/** A seeded stream of piece sizes from 1 to `max`. */
function randomSizes(seed: number, max: number) {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return 1 + (x % max);
  };
}

describe('RequestFramer fed in pieces', () => {
  const requests: Array<[string, string, number]> = [
    ['no body', 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n', 0],
    ['content-length', 'POST /b HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world', 11],
    [
      'chunked, extensions, hex sizes, trailers',
      'POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n' +
        'abcdefghijklmnopqrstuvwxyz\r\n3 ;ext=1\r\nx\r\n\r\n0\r\nX-Sum: 1\r\n\r\n',
      29,
    ],
  ];

  it.each(requests)('%s: one byte at a time, and in random pieces, ends where the request ends', (_name, text, body) => {
    const next = b('GET /next HTTP/1.1\r\n\r\n');
    const bytes = Buffer.concat([b(text), next]);
    const plans: Array<(i: number) => number> = [() => 1, () => 2, () => 3, randomSizes(1, 7), randomSizes(2, 40), () => 1 << 20];
    for (const [i, sizes] of plans.entries()) {
      const { framer, consumed } = feed(bytes, sizes);
      expect(framer.done, `plan ${i}`).toBe(true);
      expect(consumed, `plan ${i}`).toBe(text.length);
      expect(framer.bodyBytes, `plan ${i}`).toBe(body);
      expect(framer.requestLine, `plan ${i}`).toBe(text.split('\r\n')[0]);
      // Once done, it takes nothing more: the rest is the next request's.
      expect(framer.push(next)).toBe(0);
    }
  });

  it('finds the blank line split in every way across two pieces', () => {
    const text = 'GET / HTTP/1.1\r\nA: b\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      const framer = new RequestFramer();
      expect(framer.push(b(text.slice(0, cut))), String(cut)).toBe(cut);
      expect(framer.done, String(cut)).toBe(false);
      expect(framer.push(b(`${text.slice(cut)}NEXT`)), String(cut)).toBe(text.length - cut);
      expect(framer.done, String(cut)).toBe(true);
    }
  });
});

describe('RequestFramer headers', () => {
  const bodyOf = (head: string, rest: string) => {
    const framer = new RequestFramer();
    const used = framer.push(b(`POST / HTTP/1.1\r\n${head}\r\n\r\n${rest}`));
    return { done: framer.done, body: framer.bodyBytes, rest: rest.length - (used - (head.length + 21)) };
  };

  it('chunked only from a Transfer-Encoding header that names it as a token', () => {
    expect(bodyOf('Transfer-Encoding: gzip,  chunked', '1\r\na\r\n0\r\n\r\n')).toEqual({ done: true, body: 1, rest: 0 });
    expect(bodyOf('transfer-encoding:chunked', '1\r\na\r\n0\r\n\r\n')).toEqual({ done: true, body: 1, rest: 0 });
    // Not the header: another name ending in it, or a value that only contains the word.
    expect(bodyOf('X-Transfer-Encoding: chunked', '1\r\na\r\n0\r\n\r\n').body).toBe(0);
    expect(bodyOf('Transfer-Encoding: notchunked', '1\r\na\r\n0\r\n\r\n').body).toBe(0);
  });

  it('content-length with or without blanks around it; another header of that name is not it', () => {
    expect(bodyOf('Content-Length:3', 'abcNEXT')).toEqual({ done: true, body: 3, rest: 4 });
    expect(bodyOf('content-length: \t3 \t', 'abcNEXT')).toEqual({ done: true, body: 3, rest: 4 });
    expect(bodyOf('Content-Length: 3\r\nContent-Length: 3', 'abc')).toEqual({ done: true, body: 3, rest: 0 });
    expect(bodyOf('Content-Length: 0', 'NEXT')).toEqual({ done: true, body: 0, rest: 4 });
    expect(bodyOf('X-Content-Length: 3', 'abc')).toEqual({ done: true, body: 0, rest: 3 });
  });

  it('refuses a content-length that is not 1 to 15 digits, naming what it read', () => {
    for (const value of ['3x', 'x3', '1234567890123456', '']) {
      expect(() => bodyOf(`Content-Length: ${value}`, ''), value).toThrow(
        expect.objectContaining({ result: 'EBADMSG', message: `bad content-length: ${value}` }),
      );
    }
    expect(bodyOf('Content-Length: 123456789012345', '').done).toBe(false);
    expect(() => bodyOf('Content-Length: 3\r\nContent-Length: 4', '')).toThrow(
      expect.objectContaining({ message: 'bad content-length: 3, 4' }),
    );
  });
});

describe('RequestFramer limits and refusals', () => {
  const chunked = 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n';

  it('a head of exactly MAX_HEAD bytes before its blank line is read; one more byte is E2BIG', () => {
    const line = 'GET / HTTP/1.1\r\nX: ';
    const fits = `${line}${'a'.repeat(MAX_HEAD - line.length)}\r\n\r\n`;
    for (const sizes of [() => 1 << 20, () => 4096, randomSizes(3, 9000)]) {
      expect(feed(b(fits), sizes).consumed).toBe(MAX_HEAD + 4);
    }
    // Cut inside the blank line, with the head's bytes all in: still a head that fits.
    for (const k of [1, 2, 3]) {
      const framer = new RequestFramer();
      expect(framer.push(b(fits.slice(0, MAX_HEAD + k))), String(k)).toBe(MAX_HEAD + k);
      expect(framer.push(b(`${fits.slice(MAX_HEAD + k)}NEXT`)), String(k)).toBe(4 - k);
      expect(framer.done).toBe(true);
    }
    const over = `${line}${'a'.repeat(MAX_HEAD - line.length + 1)}\r\n\r\n`;
    expect(() => requestEnd(b(over))).toThrow(
      expect.objectContaining({ result: 'E2BIG', message: `request head over ${MAX_HEAD} bytes` }),
    );
    expect(() => feed(b(over), () => 1000)).toThrow(expect.objectContaining({ result: 'E2BIG' }));
  });

  it('chunk sizes: hex digits only, 12 at most, before any extension', () => {
    for (const size of ['3zz', 'zz3', '', ';x', '1234567890abc']) {
      expect(() => requestEnd(b(`${chunked}${size}\r\n`)), size).toThrow(
        expect.objectContaining({ result: 'EBADMSG', message: `bad chunk size: ${JSON.stringify(size.split(';')[0].trim())}` }),
      );
    }
    for (const size of ['A', 'a', '00000000000a', '0A ']) {
      const body = `${size}\r\n0123456789\r\n0\r\n\r\n`;
      expect(requestEnd(b(`${chunked}${body}NEXT`)), size).toBe(chunked.length + body.length);
    }
  });

  it('a chunk-size or trailer line of 4096 bytes is read, a longer one refused', () => {
    const size = (n: number) => `1;${'e'.repeat(n - 2)}`;
    const fits = `${chunked}${size(4096)}\r\na\r\n0\r\n\r\n`;
    expect(feed(b(fits), () => 1000).consumed).toBe(fits.length);
    expect(feed(b(fits), () => 1).consumed).toBe(fits.length);
    const over = `${chunked}${size(4097)}\r\na\r\n0\r\n\r\n`;
    for (const sizes of [() => 1 << 20, () => 1000, () => 1]) {
      expect(() => feed(b(over), sizes)).toThrow(
        expect.objectContaining({ result: 'EBADMSG', message: 'chunk-size or trailer line too long' }),
      );
    }
  });

  it('a bad chunk size is quoted in the message up to 20 characters', () => {
    expect(() => requestEnd(b(`${chunked}${'z'.repeat(30)}\r\n`))).toThrow(
      expect.objectContaining({ result: 'EBADMSG', message: `bad chunk size: "${'z'.repeat(20)}"` }),
    );
  });

  it('a head that is only its blank line is a request with an empty request line', () => {
    expect(requestEnd(b('\r\n\r\nNEXT'))).toBe(4);
    const framer = new RequestFramer();
    expect(framer.requestLine).toBe('');
    expect(framer.push(b('GET / HTTP/1.1\r\n'))).toBe(16);
    expect([framer.done, framer.requestLine]).toEqual([false, '']);
  });

  it('chunk data must be followed by CRLF', () => {
    expect(() => requestEnd(b(`${chunked}2\r\nabcd\r\n`))).toThrow(
      expect.objectContaining({ result: 'EBADMSG', message: 'chunk data not followed by CRLF' }),
    );
  });
});

describe('requestLine', () => {
  it('is the bytes before the first CRLF: all of them without one, none when the buffer starts with it', () => {
    expect(requestLine(b('GET / HTTP/1.1'))).toBe('GET / HTTP/1.1');
    expect(requestLine(b('\r\nGET / HTTP/1.1\r\n'))).toBe('');
  });
});

describe('httpResponse', () => {
  const text = (spec: Parameters<typeof httpResponse>[0]) => httpResponse(spec).toString('latin1');

  it("defaults: 200 OK, text/plain, the body's length, keep-alive, body 'ok'", () => {
    expect(text({})).toBe('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
  });

  it("the caller's headers win, whatever their case; an unknown status is 'Unknown'; cutAfter cuts the body only", () => {
    expect(
      text({ status: 599, body: 'abc', headers: { 'Content-Type': 'x/y', 'CONTENT-LENGTH': '9', Connection: 'close' } }),
    ).toBe('HTTP/1.1 599 Unknown\r\nContent-Type: x/y\r\nCONTENT-LENGTH: 9\r\nConnection: close\r\n\r\nabc');
    expect(text({ status: 404, body: 'abcdef', cutAfter: 2 })).toBe(
      'HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 6\r\nconnection: keep-alive\r\n\r\nab',
    );
    // Header values go out as latin1 (RFC 9110's obs-text), one byte per character.
    expect(
      httpResponse({ body: '', headers: { 'x-name': 'caf\u00e9' } }).includes(Buffer.from('x-name: caf\xe9\r\n', 'latin1')),
    ).toBe(true);
    expect(text({ body: new Uint8Array([0x68, 0x69]), headers: { 'content-type': 'a/b' } })).toBe(
      'HTTP/1.1 200 OK\r\ncontent-type: a/b\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nhi',
    );
  });
});

describe('randomData', () => {
  it('is `size` bytes drawn from the source, each floor(draw × 256)', () => {
    const draws = [0, 0.999, 0.5, 0.25, 0.0039, 0.004];
    expect([...randomData(6, (i) => draws[i])]).toEqual([0, 255, 128, 64, 0, 1]);
    expect(randomData(0, () => 0.5).byteLength).toBe(0);
  });

  it("never starts with 'HTTP/' (a client must meet garbage where a status line would be); 'HTTP' alone stays", () => {
    const spell = (text: string) => (i: number) => (text.charCodeAt(i) + 0.5) / 256;
    expect(randomData(7, spell('HTTP/1.')).toString('latin1')).toBe('\0TTP/1.');
    expect(randomData(7, spell('HTTPS/1')).toString('latin1')).toBe('HTTPS/1');
    expect(randomData(4, spell('HTTP')).toString('latin1')).toBe('HTTP');
  });
});
