// The fault server's own HTTP/1.1 framing (src/faults/http.ts): where a request ends decides
// which bytes a `respond` step consumes and which stay for the next request.
import { describe, expect, it } from 'vitest';
import { HttpFramingError, MAX_HEAD, requestEnd, requestLine } from '../src/faults/http.js';

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
