import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { connect } from '@nats-io/transport-node';
import { freePort, startTestPlatform } from '@slipway/e2e';
import { fork } from 'node:child_process';
import { join } from 'node:path';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 32;
const ROUNDS = Number(process.env.BENCH_WEBHOOK_ROUNDS ?? 200);
const SECRET = 'bench-webhook-secret-0123456789';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

interface Latency {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function cannon(opts: autocannon.Options): Promise<Latency> {
  const r = await autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts };
}

/** A receiver that notes when each delivery (by webhook-id) arrived. */
async function receiver(onDelivery: (id: string, at: bigint) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const at = process.hrtime.bigint();
    req.resume();
    req.on('end', () => {
      onDelivery(String(req.headers['webhook-id'] ?? ''), at);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

/**
 * Webhooks (issue 10, item 8): a signed GitHub push POST → 202 at 32
 * connections against a bare node http POST of the same body (same run), and
 * event committed (POST /api/projects answered 201) → the outgoing delivery
 * received, against a bare NATS publish → subscribe on the same server.
 */
export async function benchWebhooks(): Promise<string[]> {
  const lines: string[] = [];
  const push = JSON.stringify({
    ref: 'refs/heads/not-deployed',
    after: 'a'.repeat(40),
    deleted: false,
    repository: { clone_url: 'https://github.com/bench/hooks.git' },
    head_commit: { id: 'a'.repeat(40), message: 'bench' },
  });
  const signature = `sha256=${createHmac('sha256', SECRET).update(push).digest('hex')}`;

  const barePort = await freePort();
  const bare = fork(join(__dirname, 'bare-server.js'), [String(barePort)], { stdio: 'inherit' });
  await new Promise((r) => bare.once('message', r));
  const bareHeaders = { 'content-type': 'application/json', 'x-github-event': 'push' };
  const bareRun = await cannon({ url: `http://127.0.0.1:${barePort}/`, method: 'POST', body: push, headers: bareHeaders });
  bare.kill('SIGTERM');

  const t = await startTestPlatform([], { SLIPWAY_WEBHOOK_APP_LIMIT_PER_HOUR: '0', SLIPWAY_WEBHOOK_ALLOW_PRIVATE: 'true' });
  try {
    const user = await t.user();
    const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: user.token, body });
    const project = await api('POST', '/api/projects', { name: 'bench-hooks' });
    const app = await api('POST', '/api/applications', {
      name: 'bench-hook',
      projectId: project.body.id,
      gitSource: { repoUrl: 'https://github.com/bench/hooks.git', branch: 'main', webhookSecret: SECRET },
    });
    if (app.status !== 201) throw new Error(`bench application: ${app.status} ${JSON.stringify(app.body)}`);

    // Each request its own X-GitHub-Delivery: every one is a new delivery (verified, matched, recorded), none a duplicate.
    const hooks = await cannon({
      url: `${t.baseUrl}/api/webhooks/github`,
      method: 'POST',
      requests: [
        {
          setupRequest: (req: any) => ({
            ...req,
            body: push,
            headers: { ...bareHeaders, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature },
          }),
        },
      ],
    });
    lines.push(
      `${'baseline: bare node http POST (32 conns)'.padEnd(44)} ${bareRun.rps.toFixed(0).padStart(8)} req/s  p50 ${bareRun.p50.toFixed(1).padStart(6)} ms  p99 ${bareRun.p99.toFixed(1).padStart(6)} ms`,
      `${'POST /api/webhooks/github → 202 (32 conns)'.padEnd(44)} ${hooks.rps.toFixed(0).padStart(8)} req/s  p50 ${hooks.p50.toFixed(1).padStart(6)} ms  p99 ${hooks.p99.toFixed(1).padStart(6)} ms  errors ${String(hooks.errors).padStart(4)}  ratio ${(hooks.rps / bareRun.rps).toFixed(3)}  p99 vs bare p99 ${(hooks.p99 / Math.max(bareRun.p99, 1)).toFixed(1)}x`,
    );

    // Event committed → outgoing delivery received.
    const arrived = new Map<string, bigint>();
    let onArrival: (() => void) | undefined;
    const rx = await receiver((id, at) => {
      if (!arrived.has(id)) arrived.set(id, at);
      onArrival?.();
    });
    const endpoint = await api('POST', '/api/webhook-endpoints', { url: rx.url, events: ['project.created'], teamId: project.body.teamId });
    if (endpoint.status !== 201) throw new Error(`bench endpoint: ${endpoint.status} ${JSON.stringify(endpoint.body)}`);
    const deliveries: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const seen = new Set(arrived.keys());
      const created = await api('POST', '/api/projects', { name: `bench-delivery-${i}`, teamId: project.body.teamId });
      const committed = process.hrtime.bigint();
      // The webhook id is the event id, which the API does not show: the round's delivery is the first id not seen before it.
      const at = await new Promise<bigint>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no delivery for project ${created.body.id} within 30 s`)), 30_000);
        onArrival = () => {
          const fresh = [...arrived].find(([id]) => !seen.has(id));
          if (!fresh) return;
          clearTimeout(timer);
          onArrival = undefined;
          resolve(fresh[1]);
        };
        onArrival();
      });
      deliveries.push(Number(at - committed) / 1e6);
    }
    rx.server.close();

    const nc = await connect({ servers: t.natsUrl });
    const subject = `bench.${randomUUID()}`;
    const bareLat: number[] = [];
    let resolveOne: (() => void) | undefined;
    const sub = nc.subscribe(subject, { callback: () => resolveOne?.() });
    for (let i = 0; i < ROUNDS; i++) {
      const started = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        resolveOne = resolve;
        nc.publish(subject, JSON.stringify({ i }));
      });
      bareLat.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    sub.unsubscribe();
    await nc.close();
    const d50 = pct(deliveries, 0.5);
    const d99 = pct(deliveries, 0.99);
    const b50 = pct(bareLat, 0.5);
    const b99 = pct(bareLat, 0.99);
    lines.push(
      `${'baseline: bare NATS publish → subscribe'.padEnd(44)} p50 ${b50.toFixed(2)} ms  p99 ${b99.toFixed(2)} ms`,
      `${'event committed → outgoing delivery received'.padEnd(44)} p50 ${d50.toFixed(1)} ms  p99 ${d99.toFixed(1)} ms  ratio to bare NATS p50 ${(d50 / b50).toFixed(1)}x  p99 ${(d99 / b99).toFixed(1)}x`,
    );
  } finally {
    await t.stop();
  }
  return lines;
}

// `node tools/bench/dist/webhooks.js`: these rows alone (npm run bench runs them with the rest).
if (require.main === module) {
  benchWebhooks()
    .then((lines) => console.log(lines.join('\n')))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
