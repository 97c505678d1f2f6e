#!/usr/bin/env node
// Prints one row per part from StrykerJS's JSON reports (reports/mutation/<part>.json): mutants
// by status and the score, killed (including timeouts) over every mutant that ran — survivors and
// mutants no test reached count against it; mutants that do not compile or errored do not count.
// usage: node scripts/mutation-summary.mjs [part...]   (default: every report present)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'reports', 'mutation');
const parts = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));

const rows = [];
const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 };
for (const part of parts) {
  const file = path.join(dir, `${part}.json`);
  if (!fs.existsSync(file)) {
    rows.push(`| ${part} | no report |`);
    continue;
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const count = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 };
  for (const f of Object.values(report.files)) for (const m of f.mutants) count[m.status] = (count[m.status] ?? 0) + 1;
  for (const k of Object.keys(total)) total[k] += count[k];
  rows.push(row(part, count));
}
if (parts.length > 1) rows.push(row('all', total));
console.log('| part | mutants | killed | timeout | survived | no coverage | score |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);

function row(name, c) {
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  const score = valid ? ((100 * detected) / valid).toFixed(1) : '-';
  return `| ${name} | ${valid} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${score} % |`;
}
