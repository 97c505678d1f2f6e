import { setUserTimeout } from '../../controls/options.js';
import { blackhole } from '../../raw/blackhole.js';
import { nodeView } from '../node-view.js';
import { scenario, type ScenarioEnds } from '../scenario.js';
import { BLACKHOLE, fromScenario, guarded } from './case.js';

/** The server goes silent; the client's unacknowledged send times out after 500 ms. */
export const timeOutAgainstSilentServer = ({ client, server }: ScenarioEnds) => [
  server.blackhole().expect('ok'),
  client.userTimeout(500).expect('ok'),
  // The segment, then its retransmissions at growing intervals (a tail-loss probe, then RTOs
  // doubling).
  client
    .send('x')
    .expect('ok')
    .expectWire({ from: 'client', flags: '.', data: true, count: { min: 3 }, backoff: true }),
  // When the user timeout fires the connection is dropped without an RST.
  client.waitState('CLOSE', 5000).expect('ok').expectWire({ from: 'client', flags: 'R', count: 0, scope: 'step' }),
  client.recv(1).expect('ETIMEDOUT'),
];

export const userTimeoutSilentPeer = fromScenario(
  scenario('user-timeout-silent-peer', timeOutAgainstSilentServer, { requires: [BLACKHOLE] }),
  {
    title: 'silent peer + TCP_USER_TIMEOUT 500 ms',
    expectation: 'connection dropped, recv ETIMEDOUT after ~0.9 s',
    errnos: ['ETIMEDOUT'],
    timersMs: 500,
    node: guarded([BLACKHOLE], (family) =>
      nodeView(family, async ({ node, raw }) => {
        blackhole(raw);
        setUserTimeout(node.socket, 500);
        await node.write('x');
        await node.next('error', 5000);
      }),
    ),
  },
);
