import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { RawSocket } from '../../raw/raw-socket.js';
import { NodeRecorder } from '../node-view.js';
import { scenario } from '../scenario.js';
import { fromScenario, hostOf } from './case.js';

export const connectRefused = fromScenario(
  scenario(
    'connect-refused',
    ({ client }) => [client.connect().expect('ECONNREFUSED').expectWire({ from: 'server', flags: 'R' })],
    { setup: 'closed-port' },
  ),
  {
    title: 'connect to a port with no listener',
    expectation: 'connect ECONNREFUSED',
    errnos: ['ECONNREFUSED'],
    timersMs: 0,
    node: async (family) => {
      const started = performance.now();
      const holder = RawSocket.create(family);
      holder.bind(hostOf(family), 0);
      const socket = net.connect({ host: hostOf(family), port: holder.localAddress?.port ?? 1 });
      const node = new NodeRecorder(socket);
      await node.settle();
      holder.close();
      return { ...node.view(), durationMs: Math.round(performance.now() - started) };
    },
  },
);
