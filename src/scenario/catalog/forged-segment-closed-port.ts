import { scenario } from '../scenario.js';
import { fromScenario } from './case.js';

export const forgedSegmentClosedPort = fromScenario(
  scenario(
    'forged-segment-closed-port',
    ({ client, listener }) => [
      // The client gets a port of its own, without a connection, to be the forged sender.
      client.bind().expect('ok'),
      // Data for a port where no socket listens or is connected (it is only held, bound): the
      // kernel answers with RST, its sequence number the segment's ACK number.
      listener
        .forge({ from: 'client', flags: 'P.', seq: 1000, ack: 5000, data: 'x' })
        .expect('ok')
        .expectWire({ from: 'server', flags: 'R', exact: true, count: 1, scope: 'step' }),
    ],
    { setup: 'closed-port' },
  ),
  {
    title: 'a segment for a port with no socket',
    expectation: "answered by RST (seq = the segment's ack); the RST itself is never answered",
    errnos: [],
    note: 'RFC 9293 §3.10.7.1: in CLOSED, a segment with ACK gets <SEQ=SEG.ACK><CTL=RST>',
    timersMs: 0,
  },
);
