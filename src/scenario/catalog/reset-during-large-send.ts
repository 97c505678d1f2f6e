import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const resetDuringLargeSend = fromScenario(
  scenario('reset-during-large-send', ({ client, server }) => [
    client.fill().expect('ok'), // send buffer and the peer's window full
    server.close().expect('ok'), // megabytes unread: RST
    client.send('x').expect('ECONNRESET'),
    client.send('x').expect('EPIPE'),
  ]),
  {
    title: 'RST while a large send is in flight',
    expectation: "the writer's next send fails ECONNRESET, then EPIPE",
    errnos: ['ECONNRESET', 'EPIPE'],
    timersMs: 0,
    node: (family) =>
      nodeView(family, async ({ node, raw }) => {
        node.socket.write(Buffer.alloc(4 << 20, 0x61));
        await raw.recv(1, { timeout: 3000 });
        raw.close(); // megabytes unread: RST
        await node.next('error');
      }),
  },
);
