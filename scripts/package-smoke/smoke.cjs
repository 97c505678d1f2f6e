// Opens a loopback connection, reads TCP_INFO through the given tcpInfo, and reports which
// sockctl binary the process has mapped (from /proc/self/maps, independent of the loader).
'use strict';
const net = require('node:net');
const { once } = require('node:events');
const { readFileSync } = require('node:fs');

module.exports = async function smoke(tcpInfo) {
  const server = net.createServer((socket) => socket.resume());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  await once(client, 'connect');
  const { state } = tcpInfo(client);
  client.destroy();
  server.close();
  const binaries = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/)[5])
    .filter((file) => file && /sockctl.*\.node$/.test(file));
  return { state, binaries: [...new Set(binaries)] };
};
