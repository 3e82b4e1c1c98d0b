import { Transform, type Readable } from 'node:stream';
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
 * output, stderr text to `onStderr`. Backpressure flows through.
 */
export function demuxer(onStderr: (text: string) => void): Transform {
  let pending: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const payload = pending.subarray(8, 8 + size);
        if (pending[0] === 2) onStderr(payload.toString('utf8'));
        else if (payload.length) this.push(payload);
        pending = pending.subarray(8 + size);
      }
      cb();
    },
  });
}

/** The container of a database's running task, or undefined. */
export async function runningContainer(docker: DockerClient, serviceName: string): Promise<string | undefined> {
  const tasks = await docker.listTasks({ service: [serviceName], 'desired-state': ['running'] });
  return tasks.find((t) => t.Status?.State === 'running')?.Status?.ContainerStatus?.ContainerID;
}
