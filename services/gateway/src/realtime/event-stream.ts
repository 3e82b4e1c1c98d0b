import { PassThrough } from 'node:stream';
import { StreamableFile } from '@nestjs/common';
import type { SlipwayReply, SlipwayRequest } from '../conventions/request';

/** Bytes waiting for a slow reader beyond which lines are dropped (and counted in a `lagged` event). */
const MAX_PENDING_BYTES = 1 << 20;

export interface EventStream {
  file: StreamableFile;
  send(event: string, id: string | undefined, data: unknown): void;
  end(event?: { event: string; data: unknown }): void;
  onClose(fn: () => void): void;
}

/**
 * A text/event-stream answer: headers and a first comment go out at once (so
 * `curl -N` shows the stream is open even when nothing happens), a comment
 * every heartbeatMs keeps proxies from timing it out, and a reader that does
 * not keep up loses lines — counted in one `lagged` event — instead of
 * growing the gateway's memory.
 */
export function openEventStream(req: SlipwayRequest, reply: SlipwayReply, heartbeatMs: number): EventStream {
  const body = new PassThrough({ highWaterMark: 64 * 1024 });
  const closers: Array<() => void> = [];
  let closed = false;
  let dropped = 0;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const fn of closers) fn();
  };
  const write = (text: string) => {
    if (!closed) body.write(text);
  };
  const heartbeat = setInterval(() => write(`: heartbeat ${new Date().toISOString()}\n\n`), heartbeatMs).unref();
  req.raw.on('close', () => {
    close();
    body.destroy();
  });
  body.on('close', close);
  reply.header('Cache-Control', 'no-cache, no-transform');
  reply.header('X-Accel-Buffering', 'no');
  write(`retry: 2000\n: connected\n\n`);
  return {
    file: new StreamableFile(body, { type: 'text/event-stream; charset=utf-8' }),
    send(event, id, data) {
      if (closed) return;
      if (body.writableLength > MAX_PENDING_BYTES) {
        dropped++;
        return;
      }
      if (dropped > 0) {
        write(`event: lagged\ndata: ${JSON.stringify({ dropped })}\n\n`);
        dropped = 0;
      }
      write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end(last) {
      if (last) write(`event: ${last.event}\ndata: ${JSON.stringify(last.data)}\n\n`);
      close();
      body.end();
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
  };
}
