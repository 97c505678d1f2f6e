// The published declarations as a strict project meets them: code a user writes against
// 'sockctl', 'sockctl/testing' and 'sockctl/vitest' compiles, and code that misuses them does
// not (each `@ts-expect-error` must meet an error, or tsc reports the directive as unused).
// All sources compile in one program (one type-check of the libraries, not one per test).
import { beforeAll, describe, expect, it } from 'vitest';
import { OLDEST_KERNEL, TCP_INFO_FIELDS } from '../src/index.js';
import { typecheck, type Diagnostic, type Source } from './typecheck.js';

/** 'a.b' ≤ 'c.d' as kernel versions. */
function atOrBefore(version: string, floor: string): boolean {
  const [a, b] = version.split('.').map(Number);
  const [c, d] = floor.split('.').map(Number);
  return a < c || (a === c && b <= d);
}

function tcpInfoSource(): string {
  const lines = [
    "import net from 'node:net';",
    "import { tcpInfo } from 'sockctl';",
    'declare const socket: net.Socket;',
    'const info = tcpInfo(socket);',
  ];
  for (const [name, , , since] of TCP_INFO_FIELDS) {
    if (name === 'state' || name === 'caState') continue;
    if (!atOrBefore(since, OLDEST_KERNEL)) lines.push('// @ts-expect-error: added after the oldest supported kernel');
    lines.push(`export const ${name}: number = info.${name};`);
  }
  lines.push(
    "export const state: 'ESTABLISHED' | 'CLOSE_WAIT' | string = info.state;",
    'export const length: number = info.length;',
  );
  return lines.join('\n');
}

const SOURCES: Record<string, string> = {
  'tcp-info.mts': tcpInfoSource(),
  'decode.mts': `
    import { decodeTcpInfo, type TcpState } from 'sockctl';
    const info = decodeTcpInfo(new Uint8Array(104), 104);
    export const state: TcpState = info.state;
    export const length: number = info.length;
    export const rtt: number | undefined = info.rttUs;
    // @ts-expect-error: the caller's length may not reach it
    export const sure: number = info.rttUs;
  `,
  'raw.mts': `
    import { RawSocket, unwrap, type RawAddress, type TraceEntry } from 'sockctl';
    const trace: TraceEntry[] = [];
    const { socket: listener, address } = unwrap(await RawSocket.listen({ trace }));
    const port: number = address.port;
    const connected = await RawSocket.connect({ host: '127.0.0.1', port, trace });
    // @ts-expect-error: a result must be narrowed before its socket is read
    connected.socket;
    if (connected.ok) connected.socket.close();
    else { const code: string = connected.code; const errno: number = connected.errno; void code; void errno; }
    const got = await unwrap(await listener.accept()).socket.recv(1);
    if (got.ok) { const bytes: number = got.bytes; const data: Buffer = got.data; void bytes; void data; }
    export const a: RawAddress = address;
  `,
  'testing.mts': `
    import { expect } from 'vitest';
    import { expectErrorCode, expectRejectsWithCode, sockctlMatchers, type CodedError } from 'sockctl/testing';
    expect.extend(sockctlMatchers);
    declare const error: unknown;
    expect(error).toHaveErrorCode('ECONNRESET');
    expect(error).not.toHaveErrorCode('EPIPE');
    await expect(Promise.reject(error)).rejects.toHaveErrorCode('ECONNRESET');
    // @ts-expect-error: the code is a string
    expect(error).toHaveErrorCode(104);
    const rejected: CodedError = await expectRejectsWithCode(fetch('http://127.0.0.1:9/'), 'ECONNREFUSED');
    const message: string = rejected.message;
    const code: string | undefined = rejected.code;
    const same: Error = expectErrorCode(new Error('x'), 'X');
    export { message, code, same };
  `,
  'vitest-esm.mts': `
    import { expect } from 'vitest';
    import 'sockctl/vitest';
    declare const result: unknown;
    expect(result).toHaveErrorCode('ECONNRESET');
    expect(result).toEqual({ error: expect.toHaveErrorCode('ECONNRESET') });
    expect(result).toEqual({ error: expect.not.toHaveErrorCode('EPIPE') });
  `,
  'vitest-cjs.cts': `
    import { expect } from 'vitest';
    import 'sockctl/vitest';
    declare const result: unknown;
    expect(result).toHaveErrorCode('ECONNRESET');
    expect(result).toEqual({ error: expect.toHaveErrorCode('ECONNRESET') });
  `,
  'broken.mts': "import { tcpInfo } from 'sockctl';\nexport const n: string = tcpInfo;\n",
};

let diagnostics: Diagnostic[] = [];
const errorsIn = (name: string) => diagnostics.filter((d) => d.name === name);

beforeAll(() => {
  const sources: Source[] = Object.entries(SOURCES).map(([name, code]) => ({ name: `.types-test/${name}`, code }));
  diagnostics = typecheck(sources).map((d) => ({ ...d, name: d.name.replace('.types-test/', '') }));
}, 60_000);

describe('declarations under strict', () => {
  it('compile without errors in the package itself', () => {
    expect(diagnostics.filter((d) => d.name.startsWith('dist'))).toEqual([]);
  });

  it('tcpInfo(): a field every supported kernel fills is a number, a later one may be undefined', () => {
    expect(errorsIn('tcp-info.mts')).toEqual([]);
    // The table has fields on both sides of the floor, so both branches above were taken.
    expect(TCP_INFO_FIELDS.some(([, , , since]) => !atOrBefore(since, OLDEST_KERNEL))).toBe(true);
    expect(TCP_INFO_FIELDS.some(([, , , since]) => atOrBefore(since, OLDEST_KERNEL))).toBe(true);
  });

  it('decodeTcpInfo(): bytes of any length, so every field but length and state may be undefined', () => {
    expect(errorsIn('decode.mts')).toEqual([]);
  });

  it('RawSocket results narrow on ok, and unwrap() gives the success type', () => {
    expect(errorsIn('raw.mts')).toEqual([]);
  });

  it('sockctl/testing: toHaveErrorCode on a vitest assertion with no other import; precise helper types', () => {
    expect(errorsIn('testing.mts')).toEqual([]);
  });

  it('sockctl/vitest: registers on import and types the asymmetric matcher, from ESM and CommonJS', () => {
    expect(errorsIn('vitest-esm.mts')).toEqual([]);
    expect(errorsIn('vitest-cjs.cts')).toEqual([]);
  });

  it('a broken source is reported with its line (the checker itself can fail)', () => {
    expect(errorsIn('broken.mts')).toEqual([expect.objectContaining({ line: 2, code: 2322 })]);
  });
});
