import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt as scryptCb, type BinaryLike } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Dockerode from 'dockerode';
import { LocalArchiveStore, S3ArchiveStore, type ArchiveStore } from '@slipway/databases-domain';

/**
 * Slipway's own state: every service schema (event stores, projections,
 * dead letters) dumped with pg_dump, and the secrets file (JWT secret, the
 * key that encrypts secret env vars and database passwords), sealed with
 * AES-256-GCM under a key only the operator keeps (SLIPWAY_CONTROL_BACKUP_KEY),
 * written to a local directory or an S3-compatible bucket.
 *
 * The destination is configured by environment, not by an API resource:
 * the platform's own database cannot be where one looks up how to restore it.
 */
export const ARCHIVE_MAGIC = 'SLIPWAY-CONTROL-PLANE 1 ';
const TAG_BYTES = 16;

export interface ArchiveHeader {
  createdAt: string;
  instance: string;
  schemas: string[];
  secretsBytes: number;
  kdf: 'scrypt';
  salt: string;
  iv: string;
}

export interface ControlPlaneTarget {
  store: ArchiveStore;
  /** Prepended to keys (an S3 prefix). */
  prefix: string;
  describe: string;
  close(): void;
}

const scrypt = (password: BinaryLike, salt: BinaryLike): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(password, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (e, k) => (e ? reject(e) : resolve(k))));

/** The operator's key: any passphrase of at least 16 characters, never stored by Slipway. */
export function backupKeyFrom(env: NodeJS.ProcessEnv): string {
  const key = env.SLIPWAY_CONTROL_BACKUP_KEY ?? '';
  if (key.length < 16) {
    throw new Error('SLIPWAY_CONTROL_BACKUP_KEY must be set (at least 16 characters; e.g. `openssl rand -base64 32`). Keep it outside this server: without it the backup cannot be opened.');
  }
  return key;
}

/**
 * SLIPWAY_CONTROL_BACKUP_DESTINATION: a directory (`/var/backups/slipway`,
 * `file:///…`) or `s3://bucket/prefix?endpoint=…&region=…&pathStyle=true`
 * with SLIPWAY_CONTROL_BACKUP_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY.
 */
export function controlPlaneTarget(env: NodeJS.ProcessEnv, fallbackDir: string): ControlPlaneTarget {
  const raw = env.SLIPWAY_CONTROL_BACKUP_DESTINATION?.trim() || fallbackDir;
  if (raw.startsWith('s3://')) {
    const url = new URL(raw);
    const accessKeyId = env.SLIPWAY_CONTROL_BACKUP_S3_ACCESS_KEY_ID ?? '';
    const secret = env.SLIPWAY_CONTROL_BACKUP_S3_SECRET_ACCESS_KEY ?? '';
    if (!accessKeyId || !secret) throw new Error('An s3:// SLIPWAY_CONTROL_BACKUP_DESTINATION needs SLIPWAY_CONTROL_BACKUP_S3_ACCESS_KEY_ID and SLIPWAY_CONTROL_BACKUP_S3_SECRET_ACCESS_KEY');
    const prefix = url.pathname.replace(/^\/+/, '');
    const store = new S3ArchiveStore(
      {
        endpoint: url.searchParams.get('endpoint'),
        bucket: url.hostname,
        region: url.searchParams.get('region') ?? 'us-east-1',
        prefix,
        forcePathStyle: url.searchParams.get('pathStyle') === 'true',
        accessKeyId,
      },
      secret,
    );
    return { store, prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix, describe: `s3://${url.hostname}/${prefix}`, close: () => store.close() };
  }
  const dir = raw.startsWith('file://') ? new URL(raw).pathname : raw;
  return { store: new LocalArchiveStore(dir), prefix: '', describe: dir, close: () => undefined };
}

/** How pg_dump / pg_restore are run: inside Slipway's own PostgreSQL container when it runs one, else from the PATH. */
export interface PgTool {
  run(tool: 'pg_dump' | 'pg_restore', args: string[], io: { stdin?: Readable; stdout?: Writable }): Promise<void>;
  describe: string;
}

export function hostPgTool(url: string): PgTool {
  return {
    describe: 'pg_dump/pg_restore on this host',
    run: (tool, args, io) =>
      new Promise((resolve, reject) => {
        const child = spawn(tool, [...args, `--dbname=${url}`], { stdio: [io.stdin ? 'pipe' : 'ignore', io.stdout ? 'pipe' : 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
        child.once('error', (e: NodeJS.ErrnoException) =>
          reject(e.code === 'ENOENT' ? new Error(`${tool} is not installed on this host: sudo apt-get install -y postgresql-client (a version at least the server's)`) : e),
        );
        if (io.stdout) child.stdout!.pipe(io.stdout, { end: false });
        if (io.stdin) io.stdin.pipe(child.stdin!);
        child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} failed (exit ${code}): ${stderr.trim()}`))));
      }),
  };
}

/** pg tools inside a running container (Slipway's backing PostgreSQL), connecting over its own socket. */
export function containerPgTool(docker: Dockerode, containerId: string, url: string): PgTool {
  const u = new URL(url);
  const env = [`PGUSER=${decodeURIComponent(u.username) || 'postgres'}`, `PGDATABASE=${decodeURIComponent(u.pathname.slice(1)) || 'postgres'}`, ...(u.password ? [`PGPASSWORD=${decodeURIComponent(u.password)}`] : [])];
  return {
    describe: `pg_dump/pg_restore in container ${containerId.slice(0, 12)}`,
    async run(tool, args, io) {
      const exec = await docker.getContainer(containerId).exec({ Cmd: [tool, ...args], Env: env, AttachStdin: !!io.stdin, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: !!io.stdin });
      let stderr = '';
      const errSink = new Writable({ write: (c: Buffer, _e, cb) => ((stderr = (stderr + c.toString()).slice(-4000)), cb()) });
      const out = io.stdout ?? new Writable({ write: (_c, _e, cb) => cb() });
      const outSink = new PassThrough();
      outSink.pipe(out, { end: false });
      docker.modem.demuxStream(stream, outSink, errSink);
      if (io.stdin) {
        io.stdin.on('end', () => (stream as unknown as { end(): void }).end());
        io.stdin.pipe(stream as unknown as Writable, { end: false });
      }
      await new Promise<void>((resolve, reject) => {
        stream.once('end', resolve);
        stream.once('error', reject);
      });
      await new Promise((r) => outSink.end(r));
      const { ExitCode } = await exec.inspect();
      if (ExitCode !== 0) throw new Error(`${tool} failed in the PostgreSQL container (exit ${ExitCode}): ${stderr.trim()}`);
    },
  };
}

export interface BackupResult {
  key: string;
  size: number;
  sha256: string;
  schemas: string[];
}

/** Writes one sealed archive; the key is `slipway-control-plane-<instance>-<time>.scp`. */
export async function backupControlPlane(opts: {
  instance: string;
  schemas: string[];
  secretsFile: string;
  tool: PgTool;
  target: ControlPlaneTarget;
  passphrase: string;
  now?: Date;
}): Promise<BackupResult> {
  const now = opts.now ?? new Date();
  const secrets = existsSync(opts.secretsFile) ? readFileSync(opts.secretsFile) : Buffer.alloc(0);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const header: ArchiveHeader = { createdAt: now.toISOString(), instance: opts.instance, schemas: opts.schemas, secretsBytes: secrets.length, kdf: 'scrypt', salt: salt.toString('base64'), iv: iv.toString('base64') };
  const headerBytes = Buffer.from(`${ARCHIVE_MAGIC}${Buffer.from(JSON.stringify(header)).toString('base64url')}\n`);
  const cipher = createCipheriv('aes-256-gcm', await scrypt(opts.passphrase, salt), iv);
  cipher.setAAD(headerBytes);

  const key = `${opts.target.prefix}slipway-control-plane-${opts.instance}-${now.toISOString().replace(/[:.]/g, '-')}.scp`;
  const { sink, done } = opts.target.store.writer(key);
  const hash = createHash('sha256');
  let size = 0;
  const out = new PassThrough();
  out.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  const written = pipeline(out, sink);
  out.write(headerBytes);
  cipher.pipe(out, { end: false });
  cipher.write(secrets);
  try {
    await opts.tool.run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', ...opts.schemas.map((s) => `--schema=${s}`)], { stdout: cipher });
    await new Promise<void>((resolve) => cipher.end(resolve));
    await new Promise((r) => setImmediate(r));
    out.end(cipher.getAuthTag());
    await written;
    await done;
    await opts.target.store.commit(key);
  } catch (e) {
    out.destroy();
    await done.catch(() => undefined);
    await opts.target.store.remove(key).catch(() => undefined);
    throw e;
  }
  return { key, size, sha256: hash.digest('hex'), schemas: opts.schemas };
}

/** Emits bytes [from, to) of what flows through. */
function slice(from: number, to: number): Transform {
  let at = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      const start = Math.max(0, from - at);
      const end = Math.min(chunk.length, to - at);
      at += chunk.length;
      cb(null, end > start ? chunk.subarray(start, end) : undefined);
    },
  });
}

export function parseHeader(data: Buffer): { header: ArchiveHeader; length: number } {
  const nl = data.indexOf(0x0a);
  const line = nl >= 0 ? data.subarray(0, nl).toString('utf8') : '';
  if (!line.startsWith(ARCHIVE_MAGIC)) throw new Error('not a Slipway control-plane backup (no SLIPWAY-CONTROL-PLANE header)');
  return { header: JSON.parse(Buffer.from(line.slice(ARCHIVE_MAGIC.length), 'base64url').toString('utf8')) as ArchiveHeader, length: nl + 1 };
}

/**
 * Opens an archive (the tag is checked before anything is restored), loads
 * the dump into the database, and returns the secrets file's contents.
 */
export async function restoreControlPlane(opts: { key: string; target: ControlPlaneTarget; tool: PgTool; passphrase: string; log: (line: string) => void }): Promise<{ header: ArchiveHeader; secrets: Buffer }> {
  const first = await opts.target.store.range(opts.key, 0, 8192);
  const { header, length } = parseHeader(first.data);
  const tag = (await opts.target.store.range(opts.key, first.size - TAG_BYTES, TAG_BYTES)).data;
  const decipher = createDecipheriv('aes-256-gcm', await scrypt(opts.passphrase, Buffer.from(header.salt, 'base64')), Buffer.from(header.iv, 'base64'));
  decipher.setAAD(first.data.subarray(0, length));
  decipher.setAuthTag(tag);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-restore-'));
  try {
    const dumpFile = join(dir, 'control-plane.dump');
    const secretsChunks: Buffer[] = [];
    let seen = 0;
    const split = new Transform({
      transform(chunk: Buffer, _e, cb) {
        const take = Math.max(0, Math.min(chunk.length, header.secretsBytes - seen));
        if (take > 0) secretsChunks.push(chunk.subarray(0, take));
        seen += chunk.length;
        cb(null, chunk.length > take ? chunk.subarray(take) : undefined);
      },
    });
    opts.log(`Opening ${opts.key} (made ${header.createdAt} by instance '${header.instance}': ${header.schemas.join(', ')})…`);
    try {
      await pipeline(await opts.target.store.reader(opts.key), slice(length, first.size - TAG_BYTES), decipher, split, createWriteStream(dumpFile));
    } catch (e) {
      throw new Error(/auth|unable to authenticate/i.test((e as Error).message) ? 'the archive does not open with this SLIPWAY_CONTROL_BACKUP_KEY, or it was altered' : (e as Error).message);
    }
    opts.log(`Restoring the schemas with ${opts.tool.describe}…`);
    await opts.tool.run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction'], { stdin: createReadStream(dumpFile) });
    return { header, secrets: Buffer.concat(secretsChunks) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
