import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const closeLeavesTimeWait = fromScenario(
  scenario('close-leaves-time-wait', ({ client, server, listener }) => [
    // The server closes first: it is the one that waits. Its FIN goes out at once; the client's
    // kernel holds the ACK back (delayed ACK) and sends it with its own FIN below.
    server.close().expect('ok').expectWire({ from: 'server', flags: 'F', count: 1, scope: 'step' }),
    client.recv(1).expect('EOF'),
    client
      .close()
      .expect('ok')
      .expectWire({ from: 'client', flags: 'F.', count: 1, scope: 'step' })
      .expectWire({ from: 'server', flags: '.', exact: true, count: 1, scope: 'step' }),
    listener.timeWait().expect(1),
  ]),
  {
    title: 'a normal close leaves TIME_WAIT on the side that closed first',
    expectation: "one TIME_WAIT socket on the server's port",
    errnos: [],
    timersMs: 0,
  },
);
