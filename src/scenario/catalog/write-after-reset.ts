import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario, nodeState } from './case.js';

export const writeAfterReset = fromScenario(
  scenario('write-after-reset', ({ client, server }) => [
    server.abort().expect('ok'),
    client.waitState('CLOSE').expect('ok'),
    client.send('x').expect('ECONNRESET'), // the reset is reported once, to whichever call comes first
    client.send('x').expect('EPIPE'),
    client.recv(1).expect('EOF'),
  ]),
  {
    title: 'write after a received RST',
    expectation: 'first send ECONNRESET (reported once), next send EPIPE, recv EOF',
    errnos: ['ECONNRESET', 'EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(family, async ({ node, raw }) => {
        node.socket.pause(); // libuv stops reading: the write is the first to meet the reset
        raw.abort();
        await nodeState(node.socket, 'CLOSE');
        await node.write('x');
        if (!node.socket.destroyed) await node.write('y');
      }),
  },
);
