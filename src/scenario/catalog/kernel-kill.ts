import { kill } from '../../raw/kill.js';
import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario, guarded, KILL } from './case.js';

export const kernelKill = fromScenario(
  scenario(
    'kernel-kill',
    ({ client, server }) => [
      server.kill().expect('ok'),
      server.recv(1).expect('ECONNABORTED'),
      client.recv(1).expect('ECONNRESET'),
    ],
    { requires: [KILL] },
  ),
  {
    title: 'the kernel destroys a socket (SOCK_DESTROY, `ss -K`)',
    expectation: 'owner recv ECONNABORTED, peer recv ECONNRESET',
    errnos: ['ECONNABORTED', 'ECONNRESET'],
    timersMs: 0,
    node: guarded([KILL], (family) => nodeView(family, async ({ node }) => kill(node.socket))),
  },
);
