import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const forgedRstNext = fromScenario(
  scenario('forged-rst-next', ({ client, server }) => [
    client.send('ab').expect('ok'),
    server.recv(2).expect('ok'),
    // Exactly the next sequence number the server expects: accepted, nothing answers it.
    server.forgeReset('next').expect('ok').expectWire({ from: 'server', flags: '.', count: 0, scope: 'step' }),
    server.recv(1).expect('ECONNRESET'),
    // The client never saw the RST; its next segment reaches a connection that is gone.
    client.send('x').expect('ok').expectWire({ from: 'server', flags: 'R', scope: 'step' }),
    client.recv(1).expect('ECONNRESET'),
  ]),
  {
    title: 'a forged RST at the exact next sequence number',
    expectation: 'the server recv ECONNRESET; the client learns at its next send: RST, recv ECONNRESET',
    errnos: ['ECONNRESET'],
    note: 'RFC 5961 §3.2: only an RST at exactly RCV.NXT resets the connection',
    timersMs: 0,
  },
);
