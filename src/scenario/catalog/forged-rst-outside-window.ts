import { scenario } from '../scenario.js';
import { connectionLives, fromScenario } from './case.js';

export const forgedRstOutsideWindow = fromScenario(
  scenario('forged-rst-outside-window', (ends) => [
    // Half the sequence space away: dropped without a word (an RST is never answered).
    ends.server.forgeReset('outside').expect('ok').expectWire({ from: 'server', flags: '.', count: 0, scope: 'step' }),
    ...connectionLives(ends),
  ]),
  {
    title: 'a forged RST outside the window',
    expectation: 'ignored: no answer on the wire, the connection lives',
    errnos: [],
    timersMs: 0,
  },
);
