// A test harness proving an HTTP client retries when a pooled keep-alive socket is reset.
// The fault server answers the first request, keeps the connection, and resets it when the
// client reuses it: the client has written its request and gets RST back, the race a pooled
// client loses against a server's keep-alive timeout. Run: node examples/retry-on-reset.js
'use strict';
const assert = require('node:assert');
const http = require('node:http');
const { faultServer } = require('sockctl');
const { expectErrorCode } = require('sockctl/testing');

/** GET `url` through `agent`; the body as text, or the request's error. */
function get(url, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body, reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', (error) => {
      error.reusedSocket = req.reusedSocket;
      reject(error);
    });
  });
}

/**
 * The fix under test: retry once when a reused socket was reset before any response came.
 * Only then is the request known not to have been processed — a fresh socket's reset, or one
 * after the response began, is passed on.
 */
async function getWithRetry(url, agent, attempts = 2) {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ...(await get(url, agent)), attempts: attempt };
    } catch (error) {
      const retriable = error.code === 'ECONNRESET' && error.reusedSocket === true;
      if (!retriable || attempt >= attempts) throw error;
    }
  }
}

async function main() {
  const server = await faultServer({ onConnection: ['respond:200', 'reset-when-idle'] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await get(server.url, agent);
    assert.equal(first.status, 200);

    // Without the fix: the reused socket is reset and the request fails ECONNRESET.
    const error = await get(server.url, agent).then(
      () => assert.fail('expected ECONNRESET'),
      (e) => e,
    );
    expectErrorCode(error, 'ECONNRESET');
    assert.equal(error.reusedSocket, true);
    console.log(`plain request on the pooled socket: ${error.code} (reusedSocket ${error.reusedSocket})`);

    // With the fix: the same fault, one retry on a fresh connection, and the request succeeds.
    await get(server.url, agent); // connection 3 answers; its socket goes back to the pool
    const retried = await getWithRetry(server.url, agent);
    assert.deepEqual([retried.status, retried.body, retried.attempts], [200, 'ok', 2]);
    console.log(`with getWithRetry: ${retried.status} '${retried.body}' after ${retried.attempts} attempts`);

    await server.settled(3, { finished: false });
    for (const c of server.connections) {
      console.log(`  connection ${c.index}: ${c.steps.map((s) => `${s.step.do}=${s.result}`).join(', ')} → ${c.end ?? 'open'}`);
    }
    assert.equal(server.connections.length, 3);
  } finally {
    agent.destroy();
    await server.close();
  }
}

module.exports = { get, getWithRetry };
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
