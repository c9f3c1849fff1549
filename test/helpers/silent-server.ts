import net from 'node:net';
import type { ExecutionContext } from 'ava';

/** A TCP server on 127.0.0.1 that accepts connections and never says a word, as a hung git daemon does; its port. */
export async function silentServer(t: ExecutionContext): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as net.AddressInfo).port;
}
