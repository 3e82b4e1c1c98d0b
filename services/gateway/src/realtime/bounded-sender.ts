/**
 * A connection's outgoing queue, bounded: while the socket's own buffer is
 * above the high-water mark, messages wait here; past `maxQueued` the oldest
 * are dropped and counted, and the client gets one `lagged` message with the
 * count before the next message that goes out. Memory per slow client is
 * therefore bounded by highWater + maxQueued messages, never by its lag.
 */
export interface SocketLike {
  readonly bufferedAmount: number;
  send(data: string): void;
}

export class BoundedSender {
  private readonly queue: string[] = [];
  private dropped = 0;

  constructor(
    private readonly socket: SocketLike,
    private readonly maxQueued = 256,
    private readonly highWater = 1 << 20,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  send(message: string): void {
    this.queue.push(message);
    if (this.queue.length > this.maxQueued) {
      this.queue.shift();
      this.dropped++;
    }
    this.flush();
  }

  /** Sends what the socket's buffer has room for; call again when it drains (the ping timer does, too). */
  flush(): void {
    while (this.queue.length > 0 && this.socket.bufferedAmount < this.highWater) {
      if (this.dropped > 0) {
        this.socket.send(JSON.stringify({ type: 'lagged', dropped: this.dropped }));
        this.dropped = 0;
        continue;
      }
      this.socket.send(this.queue.shift()!);
    }
  }
}
