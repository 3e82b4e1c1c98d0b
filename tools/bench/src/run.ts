import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { DATABASE_URL, freePort, startTestPlatform } from '@slipway/e2e';
import { benchDatabaseBackup } from './database-backup';
import { benchDeploy } from './deploy';
import { benchWebhooks } from './webhooks';
import { benchProxy } from './proxy';
import { projectModelBytes } from './model-memory';
import { benchRealtime } from './realtime';

/**
 * `npm run bench`: every figure is reported as a ratio to a baseline measured
 * in the same run on the same machine, so numbers compare across machines.
 */
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
/** BENCH_CONNECTIONS lowers it on a machine whose PostgreSQL is shared (max_connections). */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(opts: autocannon.Options): Promise<Measured> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
  // autocannon counts 1-connection runs too coarsely in its average of per-second buckets.
  if (opts.connections === 1) {
    return { rps: result.requests.total / DURATION, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx + result.timeouts };
  }
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

async function forkReady(script: string, args: string[]): Promise<ChildProcess> {
  const child = fork(join(__dirname, script), args, { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Raw durable single-row inserts: the floor any event-sourced create stands on. */
async function rawInserts(connections = CONNECTIONS): Promise<Measured> {
  const pool = new Pool({ connectionString: DATABASE_URL, max: connections });
  const table = `bench_raw_${randomUUID().slice(0, 8)}`;
  await pool.query(`CREATE TABLE ${table} (id uuid PRIMARY KEY, name text NOT NULL, data jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  const latencies: number[] = [];
  let count = 0;
  const deadline = Date.now() + DURATION * 1000;
  const worker = async () => {
    while (Date.now() < deadline) {
      const started = process.hrtime.bigint();
      await pool.query(`INSERT INTO ${table} (id, name, data) VALUES ($1, $2, $3)`, [randomUUID(), 'bench', { name: 'bench' }]);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      count++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  await pool.query(`DROP TABLE ${table}`);
  await pool.end();
  latencies.sort((a, b) => a - b);
  return { rps: count / DURATION, p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)], errors: 0 };
}

/** Resident set size of a process, in MB (Linux /proc). */
function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

function rssLine(label: string, pids: Record<string, number | undefined>): string {
  const parts = Object.entries(pids)
    .filter((e): e is [string, number] => e[1] !== undefined)
    .map(([name, pid]) => `${name} ${rssMb(pid).toFixed(0)} MB`);
  return `${label.padEnd(44)} ${parts.join('  ')}`;
}

function row(name: string, m: Measured, baseline: Measured, extra = ''): string {
  return `${name.padEnd(44)} ${m.rps.toFixed(0).padStart(8)} req/s  p50 ${m.p50.toFixed(1).padStart(6)} ms  p99 ${m.p99.toFixed(1).padStart(6)} ms  errors ${String(m.errors).padStart(4)}  ratio ${(m.rps / baseline.rps).toFixed(3)}${extra}`;
}

async function main(): Promise<void> {
  console.log(`Slipway bench: ${DURATION}s per measurement, ${CONNECTIONS} connections, node ${process.version}\n`);
  const lines: string[] = [];

  const barePort = await freePort();
  const bare = await forkReady('bare-server.js', [String(barePort)]);
  const baseline = await load({ url: `http://127.0.0.1:${barePort}/` });
  const bareOne = await load({ url: `http://127.0.0.1:${barePort}/`, connections: 1 });
  await stopChild(bare);
  lines.push(row('baseline: bare node http', baseline, baseline));
  lines.push(row('baseline: bare node http (1 connection)', bareOne, bareOne));

  for (const adapter of ['fastify', 'express']) {
    const port = await freePort();
    const child = await forkReady('nest-adapters.js', [adapter, String(port)]);
    const m = await load({ url: `http://127.0.0.1:${port}/x` });
    await stopChild(child);
    lines.push(row(`nest + ${adapter} (one route, no pipeline)`, m, baseline));
  }

  const raw = await rawInserts();
  lines.push(row('baseline: raw durable INSERT (pg, 64 conns)', raw, baseline));
  const rawOne = await rawInserts(1);
  lines.push(row('baseline: raw durable INSERT (pg, 1 conn)', rawOne, rawOne));

  const modelBytes = projectModelBytes(10_000);
  lines.push(`${'read model memory (projects, per 10,000)'.padEnd(44)} ${(modelBytes / 1024 / 1024).toFixed(1)} MB heap (${(modelBytes / 10_000).toFixed(0)} bytes per project, with 3 statistics events each)`);

  // The services' pool as shipped (service-host's default), not the test
  // harness's 5, which keeps parallel suites within max_connections.
  const t = await startTestPlatform([], { DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE ?? '10' });
  try {
    const user = await t.user();
    for (let i = 0; i < 20; i++) await t.api('POST', '/api/projects', { token: user.token, body: { name: `seed-${i}` } });
    const auth = { authorization: `Bearer ${user.token}` };
    lines.push(rssLine('idle RSS per process', t.platform.pids()));
    // The seeds' read-your-writes wait (the gateway's model catching up) belongs to the lag row, not to the read rate.
    for (let i = 0; i < 10; i++) await t.api('GET', '/api/projects', { token: user.token });

    const reads = await load({ url: `${t.baseUrl}/api/projects`, headers: auth });
    lines.push(row('GET /api/projects (authenticated, 20 rows)', reads, baseline, `  p99 vs bare p99 ${(reads.p99 / Math.max(baseline.p99, 1)).toFixed(1)}x`));
    const readsOne = await load({ url: `${t.baseUrl}/api/projects`, headers: auth, connections: 1 });
    lines.push(row('GET /api/projects (1 connection)', readsOne, bareOne));

    let n = 0;
    const prefix = randomUUID().slice(0, 6);
    const createRequest = {
      url: `${t.baseUrl}/api/projects`,
      method: 'POST' as const,
      headers: { ...auth, 'content-type': 'application/json' },
      requests: [{ setupRequest: (req: any) => ({ ...req, body: JSON.stringify({ name: `b-${prefix}-${n++}` }) }) }],
    };
    const creates = await load(createRequest);
    lines.push(row('POST /api/projects', creates, baseline, `  vs raw INSERT ${(creates.rps / raw.rps).toFixed(3)}`));
    const createsOne = await load({ ...createRequest, connections: 1 });
    lines.push(row('POST /api/projects (1 connection)', createsOne, bareOne, `  vs raw INSERT (1 conn) ${(createsOne.rps / rawOne.rps).toFixed(3)}`));

    // Projection lag: command acknowledged → visible through the API.
    const lags: number[] = [];
    for (let i = 0; i < 200; i++) {
      const created = await t.api('POST', '/api/projects', { token: user.token, body: { name: `lag-${prefix}-${i}` } });
      const acked = process.hrtime.bigint();
      for (;;) {
        const res = await fetch(`${t.baseUrl}/api/projects?search=lag-${prefix}-${i}&limit=1`, { headers: auth });
        const body: any = await res.json();
        if (body.data?.[0]?.id === created.body.id) break;
      }
      lags.push(Number(process.hrtime.bigint() - acked) / 1e6);
    }
    lags.sort((a, b) => a - b);
    const lag = { p50: lags[Math.floor(lags.length / 2)], p99: lags[Math.floor(lags.length * 0.99)] };
    lines.push(
      `${'projection lag (POST ack → visible in list)'.padEnd(44)} p50 ${lag.p50.toFixed(1)} ms  p99 ${lag.p99.toFixed(1)} ms  ratio to bare p50 ${(lag.p50 / baseline.p50).toFixed(2)}`,
    );
    lines.push(rssLine('RSS per process after load', t.platform.pids()));
  } finally {
    await t.stop();
  }

  if (process.env.BENCH_SKIP_DEPLOY !== '1') lines.push(...(await benchDeploy()));
  if (process.env.BENCH_SKIP_DATABASES !== '1') lines.push(...(await benchDatabaseBackup()));
  if (process.env.BENCH_SKIP_REALTIME !== '1') lines.push(...(await benchRealtime()));
  if (process.env.BENCH_SKIP_WEBHOOKS !== '1') lines.push(...(await benchWebhooks()));
  if (process.env.BENCH_SKIP_PROXY !== '1') lines.push(...(await benchProxy()));

  console.log(lines.join('\n'));
  console.log(
    [
      '',
      'Targets (issue 8): GET /api/projects ≥ 0.20 of bare with p99 ≤ 4× bare p99; GET at 1 connection ≥ 0.08 of bare at 1 connection;',
      '  POST /api/projects ≥ 0.10 of raw INSERT; POST at 1 connection ≥ 0.3 of raw INSERT at 1 connection; projection lag p99 < 20 ms;',
      '  idle RSS < 150 MB per process; deploy ≤ 1.3 × docker service create;',
      '  database backup rate ≥ 0.8 of the engine\'s dump tool run directly, databases service RSS growth < 50 MB (issue 9);',
      '  event committed → WS client p99 ≤ 3× bare NATS p99 with 500 clients, gateway < 50 MB per 1,000 idle WS connections (issue 11).',
      '  webhook POST → 202 p99 at 32 connections and event committed → delivery received p50/p99, as ratios to bare node http / bare NATS (issue 10).',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
