import net from 'node:net';

/**
 * A TCP relay in front of the suite's Redis for a gateway process, passing everything through
 * until told to freeze one Redis key's holder: once a connection takes the key (`SET <key> ... NX`)
 * its reads still go through, and its first write and everything after it are held and never
 * reach Redis (no stored answer, no lease renewal, no release), as if the process had stopped
 * there. Redis itself stays real.
 */
export class RedisRelay {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private freezeKey?: string;
  private frozen?: () => void;

  private constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
    server: net.Server,
  ) {
    this.server = server;
  }

  static async start(redisUrl: string): Promise<RedisRelay> {
    const url = new URL(redisUrl);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const relay = new RedisRelay({ host: url.hostname, port: Number(url.port) }, (server.address() as net.AddressInfo).port, server);
    server.on('connection', (client) => relay.relay(client));
    return relay;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Resolves once the process holding `key` has taken it and sent something more, which is held. */
  freezeHolderOf(key: string): Promise<void> {
    this.freezeKey = key;
    return new Promise((resolve) => (this.frozen = resolve));
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.target);
    this.sockets.add(client).add(upstream);
    let locked = false;
    let holding = false;
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      // After the lock, reads go through (the holder looks for a stored answer, then runs the query);
      // its first write (the answer, a lease renewal, the release) and all after it are held.
      if (locked && !holding && !text.startsWith('*2\r\n$3\r\nGET\r\n')) holding = true;
      if (holding) {
        this.frozen?.();
        return;
      }
      upstream.write(chunk);
      // RESP spells every argument out, so a lock taken on this connection shows as the key and NX.
      if (this.freezeKey && text.includes(`\r\n${this.freezeKey}\r\n`) && /\r\nNX\r\n/i.test(text)) locked = true;
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
