import net from 'node:net';

/** What a net.Socket received and how it ended: 'end', or the error code; bounded by `ms`. */
export function outcome(socket: net.Socket, ms = 5_000): Promise<{ data: Buffer; end: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error(`socket did not end within ${ms} ms`)), ms);
    const finish = (end: string) => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), end });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => finish('end'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'error'));
  });
}

/** A connected net.Socket. */
export async function connect(port: number, host: string): Promise<net.Socket> {
  const socket = net.connect({ port, host });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}
