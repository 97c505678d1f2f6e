import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const unreadDataClose = fromScenario(
  scenario('unread-data-close', ({ client, server }) => [
    client.send('ab').expect('ok'),
    server.recv(1).expect('ok'),
    server
      .close()
      .expect('ok') // 1 byte unread: RST instead of FIN
      .expectWire({ from: 'server', flags: 'R' })
      .expectWire({ from: 'server', flags: 'F', count: 0 }),
    client.recv(1).expect('ECONNRESET'),
    client.send('x').expect('EPIPE'),
    client.recv(1).expect('EOF'),
  ]),
  {
    title: 'close() with unread data sends RST (the Go seed)',
    expectation: 'peer recv ECONNRESET, then send EPIPE, then recv EOF',
    errnos: ['ECONNRESET', 'EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(family, async ({ node, raw }) => {
        await node.write('ab');
        await raw.recv(1, { timeout: 3000 });
        raw.close();
      }),
  },
);
