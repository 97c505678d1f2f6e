import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const halfClose = fromScenario(
  scenario('half-close', ({ client, server }) => [
    server.shutdown('write').expect('ok'),
    client.recv(1).expect('EOF'),
    client.send('pong').expect('ok'),
    server.recv(4).expect('ok'),
    client.waitState('CLOSE_WAIT').expect('ok'),
    server.waitState('FIN_WAIT2').expect('ok'),
  ]),
  {
    title: 'half close: the peer shuts down writing',
    expectation: 'we read EOF and can still send; the peer reads it',
    errnos: [],
    timersMs: 0,
    node: (family) =>
      nodeView(
        family,
        async ({ node, raw }) => {
          raw.shutdown('write');
          await node.next('end');
          await node.write('pong');
          await raw.recv(4, { timeout: 3000 });
          node.socket.end(); // our FIN: the connection closes from both sides
          await raw.recv(1, { timeout: 3000 });
          raw.close();
        },
        { allowHalfOpen: true },
      ),
  },
);
