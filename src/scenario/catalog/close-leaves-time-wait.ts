import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const closeLeavesTimeWait = fromScenario(
  scenario('close-leaves-time-wait', ({ client, server, listener }) => [
    server.close().expect('ok'), // server closes first: it is the one that waits
    client.recv(1).expect('EOF'),
    client.close().expect('ok'),
    listener.timeWait().expect(1),
  ]),
  {
    title: 'a normal close leaves TIME_WAIT on the side that closed first',
    expectation: "one TIME_WAIT socket on the server's port",
    errnos: [],
    timersMs: 0,
  },
);
