import { setKeepAlive } from '../../controls/options.js';
import { blackhole } from '../../raw/blackhole.js';
import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { BLACKHOLE, fromScenario, guarded } from './case.js';

export const keepaliveSilentPeer = fromScenario(
  scenario(
    'keepalive-silent-peer',
    ({ client, server }) => [
      server.blackhole().expect('ok'),
      client.keepalive({ idle: 1000, interval: 1000, count: 2 }).expect('ok'),
      client
        .waitState('CLOSE', 8000)
        .expect('ok')
        // Two probes (pure ACKs, one below the next byte), one interval apart; then the
        // kernel gives up and resets (tcp_keepalive_timer sends an active reset).
        .expectWire({ from: 'client', flags: '.', exact: true, data: false, count: 2, spacingMs: { min: 800, max: 1500 } })
        .expectWire({ from: 'client', flags: 'R', count: 1 }),
      client.recv(1).expect('ETIMEDOUT'),
    ],
    { requires: [BLACKHOLE] },
  ),
  {
    title: 'silent peer + keepalive idle 1 s, interval 1 s, count 2',
    expectation: 'connection dropped, recv ETIMEDOUT after ~3 s',
    errnos: ['ETIMEDOUT'],
    timersMs: 3000,
    node: guarded([BLACKHOLE], (family) =>
      nodeView(family, async ({ node, raw }) => {
        blackhole(raw);
        setKeepAlive(node.socket, { idle: 1000, interval: 1000, count: 2 });
        await node.next('error', 8000);
      }),
    ),
  },
);
