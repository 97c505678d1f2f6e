import { createRequire } from 'node:module';
import { tcpInfo } from 'sockctl';

const require = createRequire(import.meta.url);
const smoke = require('./smoke.cjs');
const result = await smoke(tcpInfo);
// The ESM entry re-exports the CommonJS one: one addon, the same functions.
result.sameAsRequire = tcpInfo === require('sockctl').tcpInfo;
console.log(JSON.stringify({ entry: 'import', ...result }));
