import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario, nodeState } from './case.js';

export const closeWaitWrite = fromScenario(
  scenario('close-wait-write', ({ client, server }) => [
    server.close().expect('ok'), // FIN: nothing was unread
    client.waitState('CLOSE_WAIT').expect('ok'),
    // Succeeds: the peer's kernel answers it with RST.
    client.send('x').expect('ok').expectWire({ from: 'server', flags: 'R' }),
    client.waitState('CLOSE').expect('ok'),
    client.recv(1).expect('EOF'), // not ECONNRESET: the FIN came first
    client.send('y').expect('EPIPE'),
  ]),
  {
    title: 'write in CLOSE_WAIT ("server terminated prematurely")',
    expectation: 'first send succeeds, peer answers RST, recv EOF (not ECONNRESET), next send EPIPE',
    errnos: ['EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(
        family,
        async ({ node, raw }) => {
          raw.close();
          await node.next('end');
          await node.write('x');
          await nodeState(node.socket, 'CLOSE');
          if (!node.socket.destroyed) await node.write('y');
        },
        { allowHalfOpen: true },
      ),
  },
);
