// A StrykerJS reporter that writes each surviving or uncovered mutant to
// reports/mutation/<part>.survivors.txt the moment it is tested, one line each
// (file:line:column as Stryker reports them, 1-based; mutator, replacement, tests that covered it), so the tests that kill them
// can be written while a run of an hour is still going; the JSON report only appears at the end.
import fs from 'node:fs';
import path from 'node:path';
import { PluginKind, declareClassPlugin } from '@stryker-mutator/api/plugin';

class SurvivorLog {
  static inject = [];
  constructor() {
    const part = process.env.SOCKCTL_MUTATE_PART ?? 'controls';
    this.file = path.join('reports', 'mutation', `${part}.survivors.txt`);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, '');
  }
  onMutantTested(result) {
    if (result.status !== 'Survived' && result.status !== 'NoCoverage') return;
    const { line, column } = result.location.start;
    const replacement = String(result.replacement ?? '')
      .replace(/\s+/g, ' ')
      .slice(0, 100);
    const tests = result.status === 'NoCoverage' ? 'no test reached it' : `${result.coveredBy?.length ?? 0} tests`;
    fs.appendFileSync(this.file, `${result.fileName}:${line}:${column} ${result.mutatorName} → ${replacement} (${tests})\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'survivor-log', SurvivorLog)];
