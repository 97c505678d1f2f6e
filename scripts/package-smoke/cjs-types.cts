import net = require('node:net');
import sockctl = require('sockctl');

export function state(socket: net.Socket): sockctl.TcpState {
  const info: sockctl.TcpInfo = sockctl.tcpInfo(socket);
  return info.state;
}

// @ts-expect-error: a number is not a socket (fails if the types resolve to `any`)
sockctl.tcpInfo(42);
