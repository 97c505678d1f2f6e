import net from 'node:net';
import { tcpInfo, type TcpInfo, type TcpState } from 'sockctl';

export function state(socket: net.Socket): TcpState {
  const info: TcpInfo = tcpInfo(socket);
  return info.state;
}

// @ts-expect-error: a number is not a socket (fails if the types resolve to `any`)
tcpInfo(42);
