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
const HEAD_END = Buffer.from('\r\n\r\n');
/** Longest chunk-size or trailer line. */
const MAX_LINE = 4096;
const lineTooLong = () => new HttpFramingError('EBADMSG', 'chunk-size or trailer line too long');

type State = 'head' | 'length' | 'size' | 'data' | 'data-crlf' | 'trailers' | 'done';

/**
 * Frames one request as its bytes arrive, holding only the head and the line being read: a
 * body is counted, never kept, so a request of any size costs at most {@link MAX_HEAD} bytes.
 */
export class RequestFramer {
  #state: State = 'head';
  #buffer: Buffer = Buffer.alloc(0);
  #remaining = 0;
  /** The request line, once the head is in. */
  requestLine = '';
  /** Body bytes seen so far. */
  bodyBytes = 0;

  get done(): boolean {
    return this.#state === 'done';
  }

  /**
   * Takes the next bytes of the stream; returns how many of them belong to this request (all
   * of them while it is incomplete). Throws {@link HttpFramingError} when it cannot be framed.
   */
  push(data: Buffer): number {
    let at = 0;
    // Every pass consumes at least one byte: bounded by data.byteLength.
    for (let pass = 0; pass <= data.byteLength && this.#state !== 'done' && at < data.byteLength; pass++) {
      at += this.#step(data.subarray(at));
    }
    return at;
  }

  // One state's worth of `data`; returns the bytes consumed.
  #step(data: Buffer): number {
    switch (this.#state) {
      case 'head':
        return this.#head(data);
      case 'length': {
        const n = Math.min(this.#remaining, data.byteLength);
        this.#remaining -= n;
        this.bodyBytes += n;
        if (this.#remaining === 0) this.#state = 'done';
        return n;
      }
      case 'size':
      case 'trailers':
      case 'data-crlf':
        return this.#line(data);
      case 'data': {
        const n = Math.min(this.#remaining, data.byteLength);
        this.#remaining -= n;
        this.bodyBytes += n;
        if (this.#remaining === 0) this.#state = 'data-crlf';
        return n;
      }
      default:
        return 0;
    }
  }

  #head(data: Buffer): number {
    const before = this.#buffer.byteLength;
    const room = MAX_HEAD + HEAD_END.byteLength - before;
    this.#buffer = Buffer.concat([this.#buffer, data.subarray(0, Math.max(0, room))]);
    const end = this.#buffer.indexOf(HEAD_END, Math.max(0, before - 3));
    if (end < 0) {
      // Up to 3 bytes at the end may be the start of the blank line: only a buffer full to its
      // room without one holds a head over the limit (whatever pieces the bytes came in).
      if (this.#buffer.byteLength >= MAX_HEAD + HEAD_END.byteLength) {
        throw new HttpFramingError('E2BIG', `request head over ${MAX_HEAD} bytes`);
      }
      return data.byteLength;
    }
    const head = this.#buffer.subarray(0, end).toString('latin1');
    this.requestLine = head.split('\r\n', 1)[0];
    this.#buffer = Buffer.alloc(0);
    const used = end + HEAD_END.byteLength - before;
    if (/^transfer-encoding:.*\bchunked\b/im.test(head)) {
      this.#state = 'size';
      return used;
    }
    const lengths = [...head.matchAll(/^content-length:[ \t]*(.*?)[ \t]*$/gim)].map((m) => m[1]);
    if (lengths.length === 0) {
      this.#state = 'done';
      return used;
    }
    if (lengths.some((l) => l !== lengths[0]) || !/^\d{1,15}$/.test(lengths[0])) {
      throw new HttpFramingError('EBADMSG', `bad content-length: ${lengths.join(', ')}`);
    }
    this.#remaining = Number(lengths[0]);
    this.#state = this.#remaining === 0 ? 'done' : 'length';
    return used;
  }

  // Chunk sizes are read, never searched for, so chunk data holding "0\r\n\r\n" cannot end the body.
  #line(data: Buffer): number {
    const before = this.#buffer.byteLength;
    const lineEnd = Buffer.concat([this.#buffer.subarray(Math.max(0, before - 1)), data.subarray(0, MAX_LINE + 2)]).indexOf(CRLF);
    if (lineEnd < 0) {
      this.#buffer = Buffer.concat([this.#buffer, data.subarray(0, MAX_LINE + 2)]);
      // The last byte may be the line's CR: a line is over the limit once MAX_LINE + 2 bytes hold no CRLF.
      if (this.#buffer.byteLength >= MAX_LINE + CRLF.byteLength) throw lineTooLong();
      return data.byteLength;
    }
    const used = lineEnd + CRLF.byteLength - Math.min(1, before);
    const line = Buffer.concat([this.#buffer, data.subarray(0, used)])
      .subarray(0, -CRLF.byteLength)
      .toString('latin1');
    this.#buffer = Buffer.alloc(0);
    // Its CRLF can come in the piece after a line already near the limit.
    if (line.length > MAX_LINE) throw lineTooLong();
    if (this.#state === 'data-crlf') {
      if (line !== '') throw new HttpFramingError('EBADMSG', 'chunk data not followed by CRLF');
      this.#state = 'size';
    } else if (this.#state === 'size') {
      const sizeText = line.split(';')[0].trim();
      if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText))
        throw new HttpFramingError('EBADMSG', `bad chunk size: ${JSON.stringify(sizeText.slice(0, 20))}`);
      this.#remaining = parseInt(sizeText, 16);
      this.#state = this.#remaining === 0 ? 'trailers' : 'data';
    } else if (line === '') {
      this.#state = 'done';
    }
    return used;
  }
}

/**
 * Where the request that starts `buffer` ends: the index just past its last byte, or -1 while
 * it is incomplete. Throws {@link HttpFramingError} when it cannot be framed.
 */
export function requestEnd(buffer: Buffer): number {
  const framer = new RequestFramer();
  const used = framer.push(buffer);
  return framer.done ? used : -1;
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
  // The caller's headers replace the defaults whatever their case: one header of each name.
  const names = new Set(Object.keys(spec.headers ?? {}).map((key) => key.toLowerCase()));
  const headers: Record<string, string> = names.has('content-type') ? {} : { 'content-type': 'text/plain' };
  Object.assign(headers, spec.headers);
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

/**
 * WireMock's MALFORMED_RESPONSE_CHUNK: a 200 head that announces a chunked body, then a line
 * that is no chunk size.
 */
export const MALFORMED_CHUNK_RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\nnot a chunk size\r\n',
  'latin1',
);

/** WireMock's RANDOM_DATA_THEN_CLOSE: `size` bytes drawn from `next` (a seeded [0, 1) source). */
export function randomData(size: number, next: (i: number) => number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = Math.floor(next(i) * 256);
  // Never a status line by chance: a client must meet garbage where "HTTP/" should be.
  if (bytes.subarray(0, 5).toString('latin1') === 'HTTP/') bytes[0] = 0;
  return bytes;
}
