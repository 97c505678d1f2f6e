// scripts/check-arm64.mjs boots an arm64 VM (about a minute, root), so it runs in .ci/run, not in
// the suite. Its verdict comes from scripts/arm64-judge.mjs: these checks show that the verdict
// can fail — on a failed case, on another CPU's binary, on another kernel's TCP_INFO length, on a
// skipped control — and passes only the run that has it all.
import { describe, expect, it } from 'vitest';
import { judgeArm64Run } from '../scripts/arm64-judge.mjs';

const BINARY = '/w/.cache/arm64/app/node_modules/sockctl/prebuilds/linux-arm64/sockctl.glibc.node';

function run(change: (r: any) => void = () => {}) {
  const controls = {
    node: 'v22.23.5',
    arch: 'arm64',
    results: [
      { name: 'binary', ok: true, detail: { file: BINARY, machine: 183, arch: 'arm64', node: 'v22.23.5' } },
      { name: 'kill', ok: true, detail: {} },
    ],
  };
  const r = {
    major: 22,
    catalog: {
      rc: 0,
      json: {
        environment: { platform: 'linux-arm64', kernel: '6.12.117+deb13-cloud-arm64', node: 'v22.23.5', tcpInfoLength: 248 },
        results: [4, 6].map((family) => ({ name: 'unread-data-close', family, raw: { verdict: 'pass' } })),
      },
    },
    tcpInfo: {
      rc: 0,
      text: 'check-tcp-info: Linux 6.12 127.0.0.1: length 248; {}\ncheck-tcp-info: Linux 6.12 ::1: length 248; {}\ncheck-tcp-info: ok\n',
    },
    controls: { rc: 0, text: '', parsed: controls },
  };
  change(r);
  r.controls.text = `check-controls: ok binary\n${JSON.stringify(r.controls.parsed)}\ncheck-controls: ok\n`;
  return judgeArm64Run(r) as { problems: string[]; summary: Record<string, unknown> };
}

describe('the arm64 check verdict', () => {
  it('passes a run with every case, control and length as expected', () => {
    const judged = run();
    expect(judged.problems).toEqual([]);
    expect(judged.summary).toMatchObject({ cases: '2/2 pass', tcpInfoLength: 248, controls: '2/2 ok' });
  });

  it('fails a failed or skipped case, naming it', () => {
    const judged = run((r) => {
      r.catalog.rc = 1;
      r.catalog.json.results[1].raw = { verdict: 'fail', reason: 'recv: expected ECONNRESET, got EOF' };
    });
    expect(judged.problems).toContain('the catalog exited 1');
    expect(judged.problems).toContain('case unread-data-close (IPv6): fail (recv: expected ECONNRESET, got EOF)');
    const skipped = run((r) => {
      r.catalog.json.results[0].raw = { verdict: 'skipped', reason: 'needs kill: ENOENT' };
    });
    expect(skipped.problems).toEqual(['case unread-data-close (IPv4): skipped (needs kill: ENOENT)']);
  });

  it("fails when the process loaded another CPU's binary or a file outside the installed package", () => {
    const x64 = run((r) => {
      r.controls.parsed.results[0].detail = { file: BINARY.replace('arm64', 'x64'), machine: 62, arch: 'x64' };
      r.catalog.json.environment.platform = 'linux-x64';
    });
    expect(x64.problems).toContain('platform linux-x64, not linux-arm64');
    expect(x64.problems.some((p) => p.startsWith('the loaded binary is') && p.includes('ELF machine 62'))).toBe(true);
    const tree = run((r) => {
      r.controls.parsed.results[0].detail.file = '/w/prebuilds/linux-arm64/sockctl.glibc.node';
    });
    expect(tree.problems).toEqual([
      "the loaded binary is /w/prebuilds/linux-arm64/sockctl.glibc.node, not the installed package's prebuilds/linux-arm64/sockctl.glibc.node",
    ]);
  });

  it('fails on another kernel, another TCP_INFO length or another Node', () => {
    const judged = run((r) => {
      Object.assign(r.catalog.json.environment, { kernel: '6.18.44', tcpInfoLength: 280, node: 'v24.22.3' });
      r.tcpInfo = { rc: 1, text: 'check-tcp-info: Linux 6.18 127.0.0.1: length 280; {}\ncheck-tcp-info: FAIL\n' };
    });
    expect(judged.problems).toEqual([
      'kernel 6.18.44, not 6.12',
      'Node v24.22.3, not 22',
      'TCP_INFO length 280, not 248',
      'check-tcp-info exited 1: check-tcp-info: FAIL',
      'check-tcp-info lengths 280, not 248 on IPv4 and IPv6',
    ]);
  });

  it('fails a control that failed or was skipped, and a run that printed nothing', () => {
    const judged = run((r) => {
      r.controls.rc = 1;
      r.controls.parsed.results[1] = { name: 'kill', ok: true, skipped: 'canKill: EPERM' };
    });
    expect(judged.problems).toContain('control kill: canKill: EPERM');
    const empty = judgeArm64Run({ major: 22, catalog: { rc: 1 }, tcpInfo: { rc: 1, text: '' }, controls: { rc: 1, text: '' } });
    expect(empty.problems).toContain('the catalog printed no JSON');
    expect(empty.problems).toContain('the catalog ran no case');
    expect(empty.problems).toContain('check-controls reported no check');
  });
});
