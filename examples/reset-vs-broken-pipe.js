// The Go seed's case: the peer reads 1 of the 2 bytes sent and closes. The unread byte makes
// its kernel answer with RST instead of FIN, so our recv fails ECONNRESET — and, the error
// being reported once, our next send fails EPIPE. Run: node examples/reset-vs-broken-pipe.js
'use strict';
const assert = require('node:assert');
const { RawSocket } = require('sockctl');

async function main() {
  const listening = await RawSocket.listen({ host: '127.0.0.1' });
  assert.ok(listening.ok, listening.code);
  const listener = listening.socket;
  const trace = [];
  const connected = await RawSocket.connect({ host: '127.0.0.1', port: listener.localAddress.port, trace });
  assert.ok(connected.ok, connected.code);
  const client = connected.socket;
  const accepted = await listener.accept();
  assert.ok(accepted.ok, accepted.code);
  const server = accepted.socket;
  try {
    await client.send('ab');
    const read = await server.recv(1);
    console.log(`server recv(1): ${read.ok ? JSON.stringify(read.data.toString()) : read.code}`);
    server.close(); // one byte left unread: RST, not FIN (RFC 2525 §2.17)

    await client.readable(2_000);
    const recv = await client.recv(1);
    const send = await client.send('x');
    const again = await client.recv(1);
    console.log(`client recv: ${recv.ok ? recv.bytes : recv.code}`);
    console.log(`client send: ${send.ok ? send.bytes : send.code}`);
    console.log(`client recv: ${again.ok ? (again.bytes === 0 ? 'EOF' : again.bytes) : again.code}`);
    assert.deepEqual([recv.code, send.code, again.ok && again.bytes], ['ECONNRESET', 'EPIPE', 0]);
    console.table(
      trace.map(({ at, syscall, detail, result, code, state }) => ({
        at: at.toFixed(1),
        syscall,
        detail,
        result: code ?? result,
        state,
      })),
    );
  } finally {
    if (!client.closed) client.close();
    listener.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
