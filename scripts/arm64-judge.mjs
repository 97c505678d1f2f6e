// Judges what scripts/arm64-guest.sh left for one Node version in the arm64 VM; used by
// scripts/check-arm64.mjs, and by test/arm64-judge.test.ts to show that it fails on a failed
// case, another binary or another kernel. Pure: it reads nothing itself.

/** What the arm64 check expects of every run. */
export const ARM64_EXPECTED = {
  platform: 'linux-arm64',
  kernelSeries: '6.12',
  tcpInfoLength: 248,
  binary: 'prebuilds/linux-arm64/sockctl.glibc.node',
  elfMachine: 183, // EM_AARCH64
};

/**
 * @param {object} run  { major, catalog: { rc, json }, tcpInfo: { rc, text }, controls: { rc, text } }
 *   where json is the parsed `sockctl --json` output (or undefined) and text the script's output.
 * @returns {{ problems: string[], summary: object }}
 */
export function judgeArm64Run(run) {
  const problems = [];
  const expect = (ok, message) => {
    if (!ok) problems.push(message);
  };
  const env = run.catalog.json?.environment;
  const results = run.catalog.json?.results ?? [];
  expect(run.catalog.json !== undefined, 'the catalog printed no JSON');
  expect(run.catalog.rc === 0, `the catalog exited ${run.catalog.rc}`);
  if (env) {
    expect(env.platform === ARM64_EXPECTED.platform, `platform ${env.platform}, not ${ARM64_EXPECTED.platform}`);
    expect(
      String(env.kernel).startsWith(`${ARM64_EXPECTED.kernelSeries}.`),
      `kernel ${env.kernel}, not ${ARM64_EXPECTED.kernelSeries}`,
    );
    expect(String(env.node).startsWith(`v${run.major}.`), `Node ${env.node}, not ${run.major}`);
    expect(
      env.tcpInfoLength === ARM64_EXPECTED.tcpInfoLength,
      `TCP_INFO length ${env.tcpInfoLength}, not ${ARM64_EXPECTED.tcpInfoLength}`,
    );
  }
  expect(results.length > 0, 'the catalog ran no case');
  const notPassed = results.filter((r) => r.raw?.verdict !== 'pass');
  for (const r of notPassed) {
    problems.push(`case ${r.name} (IPv${r.family}): ${r.raw?.verdict}${r.raw?.reason ? ` (${r.raw.reason})` : ''}`);
  }

  expect(run.tcpInfo.rc === 0, `check-tcp-info exited ${run.tcpInfo.rc}: ${lastLine(run.tcpInfo.text)}`);
  const lengths = [...run.tcpInfo.text.matchAll(/: length (\d+);/g)].map((m) => Number(m[1]));
  expect(
    lengths.length === 2 && lengths.every((l) => l === ARM64_EXPECTED.tcpInfoLength),
    `check-tcp-info lengths ${lengths.join(', ') || 'none'}, not ${ARM64_EXPECTED.tcpInfoLength} on IPv4 and IPv6`,
  );

  expect(run.controls.rc === 0, `check-controls exited ${run.controls.rc}: ${lastLine(run.controls.text)}`);
  const controls = jsonLine(run.controls.text);
  const checks = controls?.results ?? [];
  expect(checks.length > 0, 'check-controls reported no check');
  for (const c of checks) expect(c.ok && !c.skipped, `control ${c.name}: ${c.error ?? c.skipped ?? 'not ok'}`);
  const binary = checks.find((c) => c.name === 'binary')?.detail;
  expect(
    binary?.arch === 'arm64' && binary?.machine === ARM64_EXPECTED.elfMachine,
    `the loaded binary is ${binary?.file} (ELF machine ${binary?.machine}, process.arch ${binary?.arch})`,
  );
  expect(
    typeof binary?.file === 'string' && binary.file.endsWith(`/node_modules/sockctl/${ARM64_EXPECTED.binary}`),
    `the loaded binary is ${binary?.file}, not the installed package's ${ARM64_EXPECTED.binary}`,
  );

  return {
    problems,
    summary: {
      node: env?.node,
      kernel: env?.kernel,
      cases: `${results.length - notPassed.length}/${results.length} pass`,
      tcpInfoLength: env?.tcpInfoLength,
      controls: `${checks.filter((c) => c.ok && !c.skipped).length}/${checks.length} ok`,
      catalogMs: run.catalog.json?.wallMs,
    },
  };
}

function lastLine(text) {
  return text.trim().split('\n').at(-1) ?? '';
}

function jsonLine(text) {
  const line = text.split('\n').find((l) => l.startsWith('{'));
  try {
    return line ? JSON.parse(line) : undefined;
  } catch {
    return undefined;
  }
}
