// A service that drops abusive connections with RST and bounds dead peers with keepalive and
// TCP_USER_TIMEOUT, printing what the kernel holds (tcpInfo). Two clients on loopback: a polite
// one gets its echo, an abusive one is reset. Run: node examples/abort-abusive.js
'use strict';
const assert = require('node:assert');
const { once } = require('node:events');
const net = require('node:net');
const { abort, getKeepAlive, getUserTimeout, setKeepAlive, setUserTimeout, tcpInfo } = require('sockctl');

const MAX_LINE = 64; // a client that sends a longer line is abusive here

function serve() {
  return net.createServer((socket) => {
    // A vanished peer is found in ~25 s (keepalive) or ~30 s of unacknowledged data, not ~15 min.
    setKeepAlive(socket, { idle: 10_000, interval: 5_000, count: 3 });
    setUserTimeout(socket, 30_000);
    const info = tcpInfo(socket);
    console.log(
      `accepted :${socket.remotePort}  state ${info.state}  rtt ${info.rttUs} µs  ` +
        `keepalive ${JSON.stringify(getKeepAlive(socket))}  user timeout ${getUserTimeout(socket)} ms`,
    );
    let buffered = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered += chunk;
      if (buffered.length > MAX_LINE && !buffered.includes('\n')) {
        console.log(`abusive :${socket.remotePort} (${buffered.length} bytes, no newline): abort → RST, no TIME_WAIT`);
        abort(socket);
        return;
      }
      if (buffered.includes('\n')) {
        socket.end(`echo ${buffered}`);
        buffered = '';
      }
    });
  });
}

function talk(port, payload) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(payload));
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk));
    socket.on('end', () => resolve({ reply }));
    socket.on('error', (error) => resolve({ reply, code: error.code }));
  });
}

async function main() {
  const server = serve();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  try {
    const polite = await talk(port, 'hello\n');
    console.log(`polite client: ${JSON.stringify(polite)}`);
    assert.deepEqual(polite, { reply: 'echo hello\n' });

    const abusive = await talk(port, 'x'.repeat(1000));
    console.log(`abusive client: ${JSON.stringify(abusive)}`);
    assert.equal(abusive.code, 'ECONNRESET');
  } finally {
    server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
