import { scenario } from '../scenario.js';
import { connectionLives, fromScenario } from './case.js';

export const forgedRstInWindow = fromScenario(
  scenario('forged-rst-in-window', (ends) => [
    // In the window but not exact: the server's kernel answers with a challenge ACK (an ACK of
    // what it really expects) for the true peer to answer with an exact RST if it means it.
    ends.server
      .forgeReset('in-window')
      .expect('ok')
      .expectWire({ from: 'server', flags: '.', exact: true, count: 1, scope: 'step' }),
    ...connectionLives(ends),
  ]),
  {
    title: 'a forged RST in the window, not at the next sequence number',
    expectation: 'a challenge ACK; the connection lives (recv EAGAIN, then the data)',
    errnos: [],
    note: 'RFC 5961 §3.2; the kernel counts it as TCPChallengeACK (nstat)',
    timersMs: 0,
  },
);
