import { scenario } from '../scenario.js';
import { BLACKHOLE, fromScenario } from './case.js';
import { timeOutAgainstSilentServer } from './user-timeout-silent-peer.js';

export const peerReturnsAfterTimeout = fromScenario(
  scenario(
    'peer-returns-after-timeout',
    (ends) => [
      ...timeOutAgainstSilentServer(ends),
      ends.server.unblackhole().expect('ok'),
      // The client's kernel no longer knows the connection: it answers with RST.
      ends.server.send('late').expect('ok').expectWire({ from: 'client', flags: 'R' }),
      ends.server.recv(1).expect('ECONNRESET'),
    ],
    { requires: [BLACKHOLE] },
  ),
  {
    title: 'the peer comes back after we timed out',
    expectation: 'we time out (ETIMEDOUT); its next segment gets RST, its recv ECONNRESET',
    errnos: ['ETIMEDOUT', 'ECONNRESET'],
    timersMs: 500,
  },
);
