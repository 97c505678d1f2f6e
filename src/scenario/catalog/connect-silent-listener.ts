import { scenario } from '../scenario.js';
import { BLACKHOLE, fromScenario } from './case.js';

export const connectSilentListener = fromScenario(
  scenario(
    'connect-silent-listener',
    ({ client, listener }) => [
      listener.blackhole().expect('ok'),
      client.userTimeout(700).expect('ok'),
      client.connect({ timeout: 5000 }).expect('ETIMEDOUT'),
    ],
    { setup: 'listening', requires: [BLACKHOLE] },
  ),
  {
    title: 'connect to a silent listener, TCP_USER_TIMEOUT 700 ms',
    expectation: 'connect ETIMEDOUT after ~1 s',
    errnos: ['ETIMEDOUT'],
    timersMs: 700,
  },
);
