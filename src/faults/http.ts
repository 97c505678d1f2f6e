/**
 * The HTTP/1.1 the fault server speaks: where a request ends in a byte stream (RFC 9112 §6:
 * content-length, or chunked transfer coding read chunk by chunk), and the bytes of a response.
 * Its own reader, so each byte read is one the kernel delivered to a socket the library owns.
 */
import { STATUS_CODES } from 'node:http';

/** Largest request head read before the fixture gives up on a request. */
export const MAX_HEAD = 64 * 1024;

/**
 * The request could not be framed: `E2BIG` for a head over {@link MAX_HEAD}, `EBADMSG` for a bad
 * content-length or chunk size. The fault server records it as the step's result and resets.
 */
export class HttpFramingError extends Error {
  readonly code = 'ERR_SOCKCTL_HTTP_FRAMING';
  constructor(
    readonly result: 'E2BIG' | 'EBADMSG',
    message: string,
  ) {
    super(message);
  }
}

const CRLF = Buffer.from('\r\n');

/**
 * Where the request that starts `buffer` ends: the index just past its last byte, or -1 while
 * it is incomplete. Throws {@link HttpFramingError} when it cannot be framed.
 */
export function requestEnd(buffer: Buffer): number {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd < 0) {
    if (buffer.byteLength > MAX_HEAD) throw new HttpFramingError('E2BIG', `request head over ${MAX_HEAD} bytes`);
    return -1;
  }
  const head = buffer.subarray(0, headEnd).toString('latin1');
  const bodyStart = headEnd + 4;
  if (/^transfer-encoding:.*\bchunked\b/im.test(head)) return chunkedEnd(buffer, bodyStart);
  const lengths = [...head.matchAll(/^content-length:[ \t]*(.*?)[ \t]*$/gim)].map((m) => m[1]);
  if (lengths.length === 0) return bodyStart;
  if (lengths.some((l) => l !== lengths[0]) || !/^\d{1,15}$/.test(lengths[0])) {
    throw new HttpFramingError('EBADMSG', `bad content-length: ${lengths.join(', ')}`);
  }
  const end = bodyStart + Number(lengths[0]);
  return buffer.byteLength >= end ? end : -1;
}

// Chunks: `<hex size>[;extensions]\r\n<size bytes>\r\n`, until a 0-size chunk, then trailer
// lines up to an empty line. Sizes are read, never searched for, so chunk data that happens to
// hold "0\r\n\r\n" cannot end the body.
function chunkedEnd(buffer: Buffer, start: number): number {
  let at = start;
  // Bounded by the buffer: every pass consumes at least one line.
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, at);
    if (lineEnd < 0) return -1;
    const sizeText = buffer.subarray(at, lineEnd).toString('latin1').split(';')[0].trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) throw new HttpFramingError('EBADMSG', `bad chunk size: ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = parseInt(sizeText, 16);
    at = lineEnd + 2;
    if (size === 0) return trailersEnd(buffer, at);
    if (buffer.byteLength < at + size + 2) return -1;
    if (buffer[at + size] !== 0x0d || buffer[at + size + 1] !== 0x0a) throw new HttpFramingError('EBADMSG', 'chunk data not followed by CRLF');
    at += size + 2;
  }
}

function trailersEnd(buffer: Buffer, at: number): number {
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, at);
    if (lineEnd < 0) return -1;
    if (lineEnd === at) return at + 2;
    at = lineEnd + 2;
  }
}

/** The request line (`'GET / HTTP/1.1'`) of a request that starts `buffer`. */
export function requestLine(buffer: Buffer): string {
  const end = buffer.indexOf(CRLF);
  return buffer.subarray(0, end < 0 ? buffer.byteLength : end).toString('latin1');
}

/** A response as the `respond` step writes it. */
export interface ResponseSpec {
  status?: number;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  cutAfter?: number;
}

/** A complete (or, with `cutAfter`, partial) HTTP/1.1 response. */
export function httpResponse(spec: ResponseSpec): Buffer {
  const status = spec.status ?? 200;
  const body = Buffer.from(spec.body ?? 'ok');
  const headers: Record<string, string> = { 'content-type': 'text/plain', ...spec.headers };
  const names = new Set(Object.keys(headers).map((key) => key.toLowerCase()));
  if (!names.has('content-length')) headers['content-length'] = String(body.byteLength);
  if (!names.has('connection')) headers.connection = 'keep-alive';
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n` +
    Object.entries(headers)
      .map(([key, value]) => `${key}: ${value}\r\n`)
      .join('') +
    '\r\n';
  const cut = spec.cutAfter === undefined ? body : body.subarray(0, spec.cutAfter);
  return Buffer.concat([Buffer.from(head, 'latin1'), cut]);
}
