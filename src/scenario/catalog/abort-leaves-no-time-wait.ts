import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const abortLeavesNoTimeWait = fromScenario(
  scenario('abort-leaves-no-time-wait', ({ client, server, listener }) => [
    server.abort().expect('ok').expectWire({ from: 'server', flags: 'R' }),
    client.recv(1).expect('ECONNRESET'),
    client.close().expect('ok'),
    listener.timeWait().expect(0),
  ]),
  {
    title: 'an abort leaves no TIME_WAIT',
    expectation: "no TIME_WAIT socket on the server's port",
    errnos: ['ECONNRESET'],
    timersMs: 0,
  },
);
