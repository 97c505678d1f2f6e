#!/usr/bin/env node
// Prints one row per part from StrykerJS's JSON reports (reports/mutation/<part>.json). The score
// is killed (timeouts included) over every mutant that ran: survivors and mutants no test reached
// count against it; mutants that did not compile or errored do not count, and static ones
// (ignoreStatic in stryker.config.mjs) are listed apart. The last column leaves out the
// string-literal mutants, most of which change only an error's message text (the suite asserts
// the wording users read where it matters, not every string).
// usage: node scripts/mutation-summary.mjs [part...]   (default: every report present)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'reports', 'mutation');
const parts = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length));

const empty = () => ({
  Killed: 0,
  Timeout: 0,
  Survived: 0,
  NoCoverage: 0,
  Ignored: 0,
  other: 0,
  strings: { detected: 0, valid: 0 },
});
const total = empty();
const rows = [];
for (const part of parts) {
  const file = path.join(dir, `${part}.json`);
  if (!fs.existsSync(file)) {
    rows.push(`| ${part} | no report |`);
    continue;
  }
  const count = empty();
  for (const f of Object.values(JSON.parse(fs.readFileSync(file, 'utf8')).files)) {
    for (const m of f.mutants) {
      for (const c of [count, total]) {
        if (m.status in c && m.status !== 'strings') c[m.status]++;
        else c.other++;
        if (m.mutatorName === 'StringLiteral' && ['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(m.status)) {
          c.strings.valid++;
          if (m.status === 'Killed' || m.status === 'Timeout') c.strings.detected++;
        }
      }
    }
  }
  rows.push(row(part, count));
}
if (parts.length > 1) rows.push(row('all', total));
console.log(
  '| part | mutants run | killed | timeout | survived | no coverage | score | static (left out) | score without string literals |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);

function row(name, c) {
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)} %` : '-');
  const noStrings = pct(detected - c.strings.detected, valid - c.strings.valid);
  return `| ${name} | ${valid} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${pct(detected, valid)} | ${c.Ignored} | ${noStrings} |`;
}
