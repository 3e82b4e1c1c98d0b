import { EventEmitter } from 'node:events';
import { SlipwayError } from './errors';

export interface LogEvent {
  /** The event id (send as Last-Event-ID to resume after it). */
  id?: string;
  applicationId?: string;
  timestamp: string;
  level?: string;
  message: string;
  container?: string;
}

export interface StreamOptions {
  url: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  /** Reconnect after a dropped connection, resuming with Last-Event-ID. Default true. */
  reconnect?: boolean;
}

/**
 * A followed log stream (text/event-stream): `for await (const line of stream)` or
 * `stream.on('data', …)`, `on('end')`, `on('error')`; `close()` stops it.
 * A dropped connection is resumed with Last-Event-ID, so no line is lost or repeated.
 */
export class LogStream extends EventEmitter implements AsyncIterable<LogEvent> {
  private readonly controller = new AbortController();
  private lastEventId?: string;
  private started = false;
  private readonly queue: LogEvent[] = [];
  private waiting?: () => void;
  private done = false;
  private failure?: unknown;

  constructor(private readonly options: StreamOptions) {
    super();
    // Start on the next tick, so both styles can attach first.
    queueMicrotask(() => this.start());
  }

  close(): void {
    this.controller.abort();
    this.finish();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.run().catch((err: unknown) => {
      if (this.controller.signal.aborted) return this.finish();
      this.failure = err;
      if (this.listenerCount('error') > 0) this.emit('error', err);
      this.finish();
    });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.emit('end');
    this.waiting?.();
  }

  private iterating = false;

  private push(line: LogEvent): void {
    // Buffered only for an iterator; an emitter-only consumer gets each line once, via 'data'.
    if (this.iterating) this.queue.push(line);
    this.emit('data', line);
    this.waiting?.();
  }

  private async run(): Promise<void> {
    for (let failures = 0; !this.controller.signal.aborted; ) {
      const headers: Record<string, string> = { ...this.options.headers, accept: 'text/event-stream' };
      if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
      let response: Response;
      try {
        response = await this.options.fetch(this.options.url, { headers, signal: this.controller.signal });
      } catch (err) {
        if (this.controller.signal.aborted || this.options.reconnect === false || ++failures > 5) throw err;
        await new Promise((r) => setTimeout(r, 500 * failures));
        continue;
      }
      if (!response.ok) throw await SlipwayError.fromResponse(response);
      failures = 0;
      const ended = await this.read(response);
      if (ended || this.options.reconnect === false) return this.finish();
    }
  }

  /** Reads one connection; true when the server ended the stream (event `end`). */
  private async read(response: Response): Promise<boolean> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let event = 'message';
          let id: string | undefined;
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = value;
            else if (field === 'id') id = value;
            else if (field === 'data') data.push(value);
          }
          if (id !== undefined) this.lastEventId = id;
          if (!data.length) continue;
          const payload = JSON.parse(data.join('\n')) as Record<string, unknown>;
          if (event === 'end') return true;
          if (event === 'error') throw new SlipwayError(String(payload.code ?? 'STREAM_ERROR'), String(payload.message ?? 'stream error'), response.status);
          if (event === 'log' || event === 'message') this.push({ ...(payload as unknown as LogEvent), ...(id !== undefined ? { id } : {}) });
        }
      }
    } catch (err) {
      if (err instanceof SlipwayError || this.controller.signal.aborted) throw err;
      return false; // dropped: reconnect with Last-Event-ID
    }
    return false;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LogEvent> {
    this.iterating = true;
    this.start();
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.done) return;
        await new Promise<void>((r) => (this.waiting = r));
        this.waiting = undefined;
      }
    } finally {
      if (!this.done) this.close();
    }
  }
}
