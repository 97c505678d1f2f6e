import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const lingerZeroClose = fromScenario(
  scenario('linger-zero-close', ({ client, server }) => [
    server.abort().expect('ok').expectWire({ from: 'server', flags: 'R' }).expectWire({ from: 'server', flags: 'F', count: 0 }),
    client.recv(1).expect('ECONNRESET'),
    client.recv(1).expect('EOF'),
  ]),
  {
    title: 'SO_LINGER {on, 0} close (abort) sends RST',
    expectation: 'peer recv ECONNRESET (once), then EOF',
    errnos: ['ECONNRESET'],
    timersMs: 0,
    node: (family) => nodeView(family, async ({ raw }) => void raw.abort()),
  },
);
