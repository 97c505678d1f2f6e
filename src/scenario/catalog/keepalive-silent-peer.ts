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
      client.waitState('CLOSE', 8000).expect('ok'),
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
