/**
 * The Docker engine answers long operations (build, events, logs) as byte
 * streams whose chunks do not respect line or message boundaries. These
 * helpers turn chunks back into whole lines and messages, and are pure so
 * they are unit-tested without an engine.
 */

/** Splits text chunks into complete lines; `\r\n` and bare `\r` (progress bars) end a line too. */
export class LineSplitter {
  private pending = '';
  private endedWithCR = false;

  /** Returns the lines completed by this chunk. */
  push(chunk: string): string[] {
    // A '\r' ending the previous chunk may be the first half of a '\r\n'.
    if (this.endedWithCR && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.endedWithCR = chunk.endsWith('\r');
    const parts = (this.pending + chunk).split(/\r\n|\n|\r/);
    this.pending = parts.pop() ?? '';
    return parts;
  }

  /** The unterminated rest, if any (call at end of stream). */
  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest.length > 0 ? [rest] : [];
  }
}

/** Newline-delimited JSON (the engine's build, pull and events streams). */
export class JsonLinesParser<T = Record<string, unknown>> {
  private buffer = '';

  /** Returns the messages completed by this chunk; malformed lines come back as `{ raw }`. */
  push(chunk: string): Array<T | { raw: string }> {
    this.buffer += chunk;
    const out: Array<T | { raw: string }> = [];
    let i: number;
    while ((i = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, i).trim();
      this.buffer = this.buffer.slice(i + 1);
      if (line) out.push(parseLine<T>(line));
    }
    return out;
  }

  flush(): Array<T | { raw: string }> {
    const line = this.buffer.trim();
    this.buffer = '';
    return line ? [parseLine<T>(line)] : [];
  }
}

function parseLine<T>(line: string): T | { raw: string } {
  try {
    return JSON.parse(line) as T;
  } catch {
    return { raw: line };
  }
}

export interface DemuxedChunk {
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * Containers without a TTY multiplex stdout and stderr in one body: frames of
 * an 8-byte header (stream type, 3 zero bytes, big-endian payload length)
 * followed by the payload. An incomplete trailing frame is ignored.
 */
export function demuxDockerStream(buffer: Buffer): DemuxedChunk[] {
  const out: DemuxedChunk[] = [];
  let offset = 0;
  const looksFramed = buffer.length >= 8 && buffer[0] <= 2 && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
  if (!looksFramed) return buffer.length > 0 ? [{ stream: 'stdout', text: buffer.toString('utf8') }] : [];
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const start = offset + 8;
    if (start + size > buffer.length) break;
    out.push({ stream: type === 2 ? 'stderr' : 'stdout', text: buffer.subarray(start, start + size).toString('utf8') });
    offset = start + size;
  }
  return out;
}

/**
 * demuxDockerStream for a followed body, chunk by chunk: frames split across
 * chunks are held until complete. A body that does not start with a frame
 * header (a TTY service) is passed through as stdout.
 */
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private framed: boolean | undefined;

  push(chunk: Buffer): DemuxedChunk[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.framed === undefined) {
      if (this.pending.length < 8) return [];
      const b = this.pending;
      this.framed = b[0] <= 2 && b[1] === 0 && b[2] === 0 && b[3] === 0;
    }
    if (!this.framed) {
      const text = this.pending.toString('utf8');
      this.pending = Buffer.alloc(0);
      return [{ stream: 'stdout', text }];
    }
    const out: DemuxedChunk[] = [];
    let offset = 0;
    while (offset + 8 <= this.pending.length) {
      const size = this.pending.readUInt32BE(offset + 4);
      const start = offset + 8;
      if (start + size > this.pending.length) break;
      out.push({ stream: this.pending[offset] === 2 ? 'stderr' : 'stdout', text: this.pending.subarray(start, start + size).toString('utf8') });
      offset = start + size;
    }
    this.pending = this.pending.subarray(offset);
    return out;
  }
}
