import { scenario } from '../scenario.js';
import { connectionLives, fromScenario } from './case.js';

export const forgedSynEstablished = fromScenario(
  scenario('forged-syn-established', (ends) => [
    // A SYN on a synchronized connection, even in the window: a challenge ACK, never a reset.
    ends.server.forgeSyn().expect('ok').expectWire({ from: 'server', flags: '.', exact: true, count: 1, scope: 'step' }),
    ...connectionLives(ends),
  ]),
  {
    title: 'a forged SYN on an established connection',
    expectation: 'a challenge ACK; the connection lives',
    errnos: [],
    note: 'RFC 5961 §4.2 (older stacks reset the connection on an in-window SYN); TCPSYNChallenge in nstat',
    timersMs: 0,
  },
);
