import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const challengeAckRateLimit = fromScenario(
  scenario('challenge-ack-rate-limit', ({ server }) => [
    server.forgeReset('in-window').expect('ok').expectWire({ from: 'server', flags: '.', exact: true, count: 1, scope: 'step' }),
    // A few ms later, on the same socket: within net.ipv4.tcp_invalid_ratelimit (500 ms), so
    // the kernel keeps quiet (TCPACKSkippedChallenge in nstat).
    server.forgeReset('in-window').expect('ok').expectWire({ from: 'server', flags: '.', count: 0, scope: 'step' }),
    server.recv(1, { timeout: 0 }).expect('EAGAIN'),
  ]),
  {
    title: 'two in-window RSTs within 500 ms: one challenge ACK',
    expectation: 'a challenge ACK for the first, none for the second; the connection lives',
    errnos: [],
    note:
      'per socket: one challenge ACK per net.ipv4.tcp_invalid_ratelimit (500 ms); the per-namespace ' +
      'limit net.ipv4.tcp_challenge_ack_limit is off (INT_MAX) since Linux 6.0, on 6.1, 6.12 and 6.18 alike',
    timersMs: 0,
  },
);
