import net from 'node:net';

export type CutMode = 'drop' | 'blackhole';

/**
 * A TCP proxy between one worker and the git daemon whose network can be cut:
 * `drop` closes every connection and refuses new ones for a while (git sees
 * the remote hang up, or no connection); `blackhole` closes the connections
 * in flight and then accepts new ones without ever answering, until the cut
 * ends (git sees a server that says nothing). When a cut ends, connections
 * still held are closed, so nothing stays hung for git's own stall limit.
 */
export class CutProxy {
  private readonly open = new Set<net.Socket>();
  private readonly held = new Set<net.Socket>();
  private cutMode?: CutMode;
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<CutProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new CutProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (socket) => proxy.accept(socket, targetPort));
    return proxy;
  }

  get cut(): CutMode | undefined {
    return this.cutMode;
  }

  /** Cuts the network for `ms`; a cut in progress is replaced. */
  cutFor(mode: CutMode, ms: number): void {
    clearTimeout(this.timer);
    this.cutMode = mode;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
    this.timer = setTimeout(() => this.restore(), ms);
  }

  restore(): void {
    clearTimeout(this.timer);
    this.cutMode = undefined;
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  async close(): Promise<void> {
    this.restore();
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, targetPort: number): void {
    client.on('error', () => client.destroy());
    if (this.cutMode === 'drop') {
      client.destroy();
      return;
    }
    if (this.cutMode === 'blackhole') {
      client.pause();
      this.held.add(client);
      client.on('close', () => this.held.delete(client));
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    const both = [client, upstream];
    for (const socket of both) {
      this.open.add(socket);
      socket.on('error', () => both.forEach((s) => s.destroy()));
      socket.on('close', () => {
        this.open.delete(socket);
        both.forEach((s) => s.destroy());
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
