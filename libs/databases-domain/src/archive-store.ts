import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3DestinationConfig } from '@slipway/databases-contracts';

/**
 * Where archives go: a directory or an S3-compatible bucket. Writes stream
 * (a `.partial` file renamed on commit; an S3 multipart upload), reads stream
 * or take a range; nothing holds an archive whole in memory.
 */
export interface ArchiveStore {
  /** A sink for the archive; `done` settles once it is stored (or failed). */
  writer(key: string): { sink: Writable; done: Promise<void> };
  /** Makes a finished write visible (local: the rename of the partial file). */
  commit(key: string): Promise<void>;
  /** Removes what a failed write left, or a deleted backup's archive; absent is fine. */
  remove(key: string): Promise<void>;
  reader(key: string): Promise<Readable>;
  /** Up to `length` bytes from `offset`, and the archive's total size. */
  range(key: string, offset: number, length: number): Promise<{ data: Buffer; size: number }>;
}

export class MissingArchiveError extends Error {}

export class LocalArchiveStore implements ArchiveStore {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    return join(this.root, key);
  }

  writer(key: string): { sink: Writable; done: Promise<void> } {
    const partial = `${this.path(key)}.partial`;
    // The file stream itself is the sink (no hop in between); 1 MiB buffered lets it write big vectors (writev) while the dump goes on.
    mkdirSync(dirname(partial), { recursive: true });
    const sink = createWriteStream(partial, { highWaterMark: 1024 * 1024 });
    return { sink, done: finished(sink) };
  }

  async commit(key: string): Promise<void> {
    await rename(`${this.path(key)}.partial`, this.path(key));
  }

  async remove(key: string): Promise<void> {
    await rm(`${this.path(key)}.partial`, { force: true });
    await rm(this.path(key), { force: true });
  }

  async reader(key: string): Promise<Readable> {
    await stat(this.path(key)).catch(() => {
      throw new MissingArchiveError(`the archive is missing from its destination (${key})`);
    });
    return createReadStream(this.path(key));
  }

  async range(key: string, offset: number, length: number): Promise<{ data: Buffer; size: number }> {
    const handle = await open(this.path(key), 'r').catch(() => {
      throw new MissingArchiveError(`the archive is missing from its destination (${key})`);
    });
    try {
      const size = (await handle.stat()).size;
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
      const { bytesRead } = buffer.length > 0 ? await handle.read(buffer, 0, buffer.length, offset) : { bytesRead: 0 };
      return { data: buffer.subarray(0, bytesRead), size };
    } finally {
      await handle.close();
    }
  }
}

/** S3 error → "<Code>: <message>" (the SDK's names are what S3 users search for). */
export function describeS3Error(err: unknown): string {
  const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.Code ?? e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  const message = e.message && e.message !== code && e.message !== 'UnknownError' ? `: ${e.message}` : '';
  return `${code}${status}${message}`;
}

export class S3ArchiveStore implements ArchiveStore {
  private readonly client: S3Client;

  constructor(private readonly config: S3DestinationConfig, secretAccessKey: string) {
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey },
      maxAttempts: 2,
    });
  }

  writer(key: string): { sink: Writable; done: Promise<void> } {
    const body = new PassThrough();
    // Multipart in 8 MiB parts, one at a time: memory stays at a few parts whatever the archive's size.
    const upload = new Upload({ client: this.client, params: { Bucket: this.config.bucket, Key: key, Body: body }, partSize: 8 * 1024 * 1024, queueSize: 1 });
    const done = upload.done().then(
      () => undefined,
      (err: unknown) => {
        const error = new Error(`uploading to s3://${this.config.bucket}/${key} failed: ${describeS3Error(err)}`);
        // The writer would wait for ever on a reader that is gone.
        body.destroy(error);
        throw error;
      },
    );
    return { sink: body, done };
  }

  async commit(): Promise<void> {
    // An upload is visible once complete; a failed one is aborted (or removed) by the caller.
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key }));
    } catch (err) {
      throw new Error(`deleting s3://${this.config.bucket}/${key} failed: ${describeS3Error(err)}`);
    }
  }

  async reader(key: string): Promise<Readable> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }));
      return out.Body as Readable;
    } catch (err) {
      throw this.readError(err, key);
    }
  }

  async range(key: string, offset: number, length: number): Promise<{ data: Buffer; size: number }> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }));
      const size = Number(head.ContentLength ?? 0);
      const end = Math.min(size, offset + length);
      if (end <= offset) return { data: Buffer.alloc(0), size };
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key, Range: `bytes=${offset}-${end - 1}` }));
      return { data: Buffer.from(await out.Body!.transformToByteArray()), size };
    } catch (err) {
      throw this.readError(err, key);
    }
  }

  async probe(key: string): Promise<Array<{ step: 'write' | 'read' | 'delete'; ok: boolean; error?: string }>> {
    const content = `slipway probe ${key}`;
    const steps: Array<{ step: 'write' | 'read' | 'delete'; ok: boolean; error?: string }> = [];
    const attempt = async (step: 'write' | 'read' | 'delete', run: () => Promise<void>): Promise<boolean> => {
      try {
        await run();
        steps.push({ step, ok: true });
        return true;
      } catch (err) {
        steps.push({ step, ok: false, error: err instanceof Error && !('$metadata' in err) ? err.message : describeS3Error(err) });
        return false;
      }
    };
    const bucket = this.config.bucket;
    if (!(await attempt('write', async () => void (await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content })))))) return steps;
    await attempt('read', async () => {
      const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const read = await out.Body!.transformToString();
      if (read !== content) throw new Error(`the probe object read back differs from what was written (${read.length} bytes instead of ${content.length})`);
    });
    await attempt('delete', async () => void (await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))));
    return steps;
  }

  close(): void {
    this.client.destroy();
  }

  private readError(err: unknown, key: string): Error {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) {
      return new MissingArchiveError(`the archive is missing from its destination (s3://${this.config.bucket}/${key})`);
    }
    return new Error(`reading s3://${this.config.bucket}/${key} failed: ${describeS3Error(err)}`);
  }
}
