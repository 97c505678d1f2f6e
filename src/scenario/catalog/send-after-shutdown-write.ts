import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const sendAfterShutdownWrite = fromScenario(
  scenario('send-after-shutdown-write', ({ client, server }) => [
    client.shutdown('write').expect('ok'),
    client.waitState('FIN_WAIT2').expect('ok'), // the FIN went out and was acknowledged
    client.send('x').expect('EPIPE'), // local: no packet leaves
    server.recv(1).expect('EOF'), // the peer sees the FIN and no data
  ]),
  {
    title: "send after our own shutdown('write')",
    expectation: 'send EPIPE locally, no packet; the peer reads EOF',
    errnos: ['EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(family, async ({ node }) => {
        node.socket.end();
        await node.write('x'); // Node refuses before the kernel: ERR_STREAM_WRITE_AFTER_END
      }),
  },
);
