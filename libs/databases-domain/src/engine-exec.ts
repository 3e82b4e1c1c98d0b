import { Transform, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { DockerClient } from '@slipway/docker';

export interface ExecOutcome {
  exitCode: number;
  /** The last 16 KiB of stderr: engines explain failures there. */
  stderr: string;
}

const STDERR_KEEP = 16 * 1024;

/**
 * Runs a command inside a container through the Docker exec API, streaming:
 * stdout is a Readable the caller pipes on (never held whole in memory), and
 * `stdin`, when given, is piped in and half-closed at its end so the tool
 * sees EOF. `done` settles with the exit code once the stream has ended.
 */
export async function execInContainer(
  docker: DockerClient,
  containerId: string,
  cmd: string[],
  stdin?: Readable,
): Promise<{ stdout: Readable; done: Promise<ExecOutcome> }> {
  const { exec, stream } = await docker.call('exec', async (d) => {
    const exec = await d.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: Boolean(stdin) });
    const stream = (await exec.start({ hijack: true, stdin: Boolean(stdin) })) as unknown as NodeJS.ReadWriteStream;
    return { exec, stream };
  });
  let stderr = '';
  const stdout = demuxer((text) => (stderr = (stderr + text).slice(-STDERR_KEEP)));
  // pipe, not dockerode's demuxStream: a slow consumer (disk, gzip) slows the engine down instead of filling memory.
  stream.pipe(stdout);
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  if (stdin) {
    stdin.on('error', (err) => (stream as unknown as { destroy(e: Error): void }).destroy(err));
    stdin.pipe(stream as unknown as NodeJS.WritableStream);
  }
  const done = ended
    .then(async () => {
      stdout.end();
      // The exit code is set a moment after the stream ends.
      for (let i = 0; i < 50; i++) {
        const info = (await docker.call('exec inspect', () => exec.inspect())) as { Running: boolean; ExitCode: number | null };
        if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, stderr: stderr.trim() };
        await new Promise((r) => setTimeout(r, 100));
      }
      return { exitCode: -1, stderr: stderr.trim() || 'the command did not report an exit code' };
    })
    .catch((err: unknown) => {
      stdout.destroy(err as Error);
      throw err;
    });
  return { stdout, done };
}

/**
 * Docker's multiplexed exec stream (8-byte frame headers: stream type, 3
 * zero bytes, big-endian length) → stdout payload as this Transform's
 * output, stderr text to `onStderr`. Backpressure flows through. One push
 * per socket chunk: tools write a few kB at a time, so a chunk carries many
 * small frames, and each buffer pushed costs every later stage (hash, gzip,
 * file) a call; the frames of a chunk go on as one buffer (a slice when
 * there is one, else one copy), a frame split across chunks is passed on
 * piece by piece, never held back, and only a split header is assembled.
 */
export function demuxer(onStderr: (text: string) => void): Transform {
  const header = Buffer.alloc(8);
  let headerFill = 0;
  let remaining = 0;
  let type = 1;
  const stderr = new StringDecoder('utf8');
  return new Transform({
    // 256 KiB read ahead of the sink: the engine goes on dumping while a hash or a write is in flight.
    readableHighWaterMark: 256 * 1024,
    transform(chunk: Buffer, _enc, cb) {
      let at = 0;
      const out: Buffer[] = [];
      while (at < chunk.length) {
        if (remaining === 0) {
          const take = Math.min(8 - headerFill, chunk.length - at);
          chunk.copy(header, headerFill, at, at + take);
          headerFill += take;
          at += take;
          if (headerFill < 8) break;
          headerFill = 0;
          type = header[0];
          remaining = header.readUInt32BE(4);
          continue;
        }
        const take = Math.min(remaining, chunk.length - at);
        const payload = chunk.subarray(at, at + take);
        if (type === 2) onStderr(stderr.write(payload));
        else if (payload.length) out.push(payload);
        remaining -= take;
        at += take;
      }
      if (out.length === 1) this.push(out[0]);
      else if (out.length > 1) this.push(Buffer.concat(out));
      cb();
    },
  });
}

/** The container of a database's running task, or undefined. */
export async function runningContainer(docker: DockerClient, serviceName: string): Promise<string | undefined> {
  const tasks = await docker.listTasks({ service: [serviceName], 'desired-state': ['running'] });
  return tasks.find((t) => t.Status?.State === 'running')?.Status?.ContainerStatus?.ContainerID;
}
