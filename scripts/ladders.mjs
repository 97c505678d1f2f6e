#!/usr/bin/env node
// npm run docs:ladders: runs the catalog on IPv4 with capture and writes
//   docs/ladders.json  the run, without what varies from run to run (times, windows)
//   docs/ladders.md    every case's ladder, drawn from that file by src/scenario/ladder.ts
// Capture needs CAP_NET_RAW: run it as root, or unprivileged under `sockctl-netns`.
// test/ladders.test.ts redraws the page from the JSON and checks both against the catalog.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { runCatalog } = require(path.join(root, 'dist/scenario/run-catalog.js'));
const { catalog } = require(path.join(root, 'dist/scenario/catalog/index.js'));
const { renderLaddersPage, saveLadders } = require(path.join(root, 'dist/scenario/ladder.js'));

const run = await runCatalog({ families: [4] });
if (!run.environment.probes.capture.ok) {
  console.error(`ladders: ${run.environment.probes.capture.reason}`);
  process.exit(1);
}
const failed = run.results.filter((r) => r.raw.verdict === 'fail' || r.raw.verdict === 'error');
if (failed.length > 0) {
  console.error(`ladders: not written, cases failed: ${failed.map((r) => `${r.name} (${r.raw.reason})`).join('; ')}`);
  process.exit(1);
}
const saved = saveLadders(run);
writeFileSync(path.join(root, 'docs/ladders.json'), `${JSON.stringify(saved, null, 1)}\n`);
writeFileSync(path.join(root, 'docs/ladders.md'), `${renderLaddersPage(saved, catalog)}\n`);
console.error(`ladders: ${saved.cases.length} cases written to docs/ladders.md and docs/ladders.json`);
