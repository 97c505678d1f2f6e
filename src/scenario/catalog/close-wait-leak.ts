import { leakNamed } from '../../controls/leaks.js';
import { nodeView } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario, guarded, nodeState, SNAPSHOT } from './case.js';

// The application is the client end: it reads the peer's FIN (EOF, Node's 'end') and never
// closes, so the kernel holds the connection in CLOSE_WAIT for as long as the fd lives — the
// classic leak. No timer ends it; the leak check of sockctl/testing names it.
export const closeWaitLeak = fromScenario(
  scenario(
    'close-wait-leak',
    ({ client, server }) => [
      server.close().expect('ok'), // the peer is done: FIN
      client.recv(1).expect('EOF'), // the application sees the end of the stream...
      client.waitState('CLOSE_WAIT').expect('ok'), // ...and never closes
      client.leakCheck().expect('CLOSE_WAIT'), // expectNoLeakedSockets() names it
    ],
    { requires: [SNAPSHOT] },
  ),
  {
    title: 'CLOSE_WAIT held by an application that never closes, named by the leak check',
    expectation: 'EOF, then CLOSE_WAIT with no timer for as long as the fd lives; the leak check names it',
    errnos: [],
    timersMs: 0,
    node: guarded([SNAPSHOT], (family) =>
      nodeView(
        family,
        async ({ node, raw }) => {
          raw.close();
          await node.next('end'); // allowHalfOpen: Node leaves the closing to the application
          await nodeState(node.socket, 'CLOSE_WAIT');
          const named = leakNamed(node.socket.localPort, node.socket.remotePort);
          // Without ports and times, so that runs and Node versions compare.
          node.events.push(
            named ? `leak-check ${named.state} (${named.attribution}, ${named.timer ?? 'no timer'})` : 'leak-check none',
          );
          node.socket.destroy();
        },
        { allowHalfOpen: true },
      ),
    ),
  },
);
