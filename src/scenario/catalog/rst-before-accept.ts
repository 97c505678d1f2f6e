import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { RawSocket } from '../../raw/raw-socket.js';
import { NodeRecorder } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario, hostOf, until } from './case.js';

export const rstBeforeAccept = fromScenario(
  scenario(
    'rst-before-accept',
    ({ client, server }) => [
      client.connect().expect('ok'),
      client.abort().expect('ok').expectWire({ from: 'client', flags: 'R' }),
      server.accept().expect('ok'), // Linux hands over the dead connection
      server.recv(1).expect('ECONNRESET'),
    ],
    { setup: 'listening' },
  ),
  {
    title: 'client resets before the server calls accept()',
    expectation: 'accept succeeds with a dead socket, first recv ECONNRESET',
    note: 'Linux does not return ECONNABORTED (BSD) or EPROTO (SVR4) from accept(): EPROTO is not produced by Linux TCP',
    errnos: ['ECONNRESET'],
    timersMs: 0,
    node: async (family) => {
      const started = performance.now();
      const events: string[] = [];
      const server = net.createServer((socket) => {
        const node = new NodeRecorder(socket);
        events.push('connection');
        void node.settle().then(() => events.push(...node.events));
      });
      server.listen(0, hostOf(family));
      await once(server, 'listening');
      const port = (server.address() as net.AddressInfo).port;
      const client = RawSocket.create(family);
      // Non-blocking connect on loopback completes in the kernel at once; the RST goes out in
      // the same tick, before Node's accept runs.
      await client.connect(hostOf(family), port, { wait: false });
      client.abort();
      await until(() => events.some((e) => e.startsWith('close')));
      server.close();
      const error = events.find((e) => e.startsWith('error '));
      return {
        events,
        ...(error ? { errorCode: error.split(' ')[1] } : {}),
        durationMs: Math.round(performance.now() - started),
      };
    },
  },
);
