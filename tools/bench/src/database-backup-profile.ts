import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createWriteStream, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { dumpPlan, execInContainer } from '@slipway/databases-domain';
import { DockerClient } from '@slipway/docker';

/**
 * Where a backup's time goes, outside the platform: the same pg_dump of a
 * running PostgreSQL container through each stage of the backup pipeline
 * added in turn (exec API + demux, sha256, the file, gzip 1 or 6), against
 * `docker exec` to a file, interleaved, median of BENCH_PROFILE_ROUNDS.
 *
 *   node tools/bench/dist/database-backup-profile.js <container with POSTGRES_* env>
 */
const ROUNDS = Number(process.env.BENCH_PROFILE_ROUNDS ?? 3);

async function main(container: string): Promise<void> {
  const docker = new DockerClient({ host: process.env.DOCKER_HOST });
  const dir = mkdtempSync(join(tmpdir(), 'slipway-backup-profile-'));
  const cmd = dumpPlan('postgresql').dump;
  const devNull = () => new Writable({ write: (_c, _e, cb) => cb() });
  const file = (name: string) => createWriteStream(join(dir, name), { highWaterMark: 1024 * 1024 });
  const sha256 = () => {
    const h = createHash('sha256');
    return new Transform({ transform: (c: Buffer, _e, cb) => (h.update(c), cb(null, c)) });
  };
  const viaApi = async (stages: () => Array<NodeJS.WritableStream | NodeJS.ReadWriteStream>) => {
    const { stdout, done } = await execInContainer(docker, container, cmd);
    await (pipeline as (...s: Array<Readable | NodeJS.WritableStream | NodeJS.ReadWriteStream>) => Promise<void>)(stdout, ...stages());
    await done;
  };
  const direct = () =>
    new Promise<void>((resolve, reject) => {
      const out = openSync(join(dir, 'direct.dump'), 'w');
      const child = spawn('docker', ['exec', container, ...cmd], { stdio: ['ignore', out, 'inherit'] });
      child.once('exit', (code) => (closeSync(out), code === 0 ? resolve() : reject(new Error(`pg_dump exited ${code}`))));
    });
  const variants: Record<string, () => Promise<void>> = {
    'docker exec CLI > file': direct,
    'exec API + demux → /dev/null': () => viaApi(() => [devNull()]),
    'exec API → sha256 → /dev/null': () => viaApi(() => [sha256(), devNull()]),
    'exec API → sha256 → file': () => viaApi(() => [sha256(), file('plain.dump')]),
    'exec API → gzip 1 → sha256 → file': () => viaApi(() => [createGzip({ level: 1, chunkSize: 64 * 1024 }), sha256(), file('fast.gz')]),
    'exec API → gzip 6 → sha256 → file': () => viaApi(() => [createGzip(), sha256(), file('default.gz')]),
  };
  const times = new Map<string, number[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, run] of Object.entries(variants)) {
        const started = performance.now();
        await run();
        times.set(label, [...(times.get(label) ?? []), performance.now() - started]);
      }
    }
  } finally {
    docker.close();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [label, xs] of times) {
    const median = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`${label.padEnd(40)} median ${median.toFixed(0).padStart(6)} ms  (${xs.map((x) => x.toFixed(0)).join(', ')})`);
  }
}

if (require.main === module) {
  const container = process.argv[2];
  if (!container) {
    console.error('usage: node tools/bench/dist/database-backup-profile.js <postgres container>');
    process.exit(2);
  }
  main(container).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
