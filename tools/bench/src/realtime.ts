import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { DockerClient, requireTestEngine } from '@slipway/docker';
import { cleanEngine, ensureSiteImage, startTestPlatform } from '@slipway/e2e';
import WebSocket from 'ws';

const CLIENTS = Number(process.env.BENCH_WS_CLIENTS ?? 500);
const IDLE = Number(process.env.BENCH_WS_IDLE ?? 1000);
const DEPLOYS = Number(process.env.BENCH_WS_DEPLOYS ?? 4);
const BARE_MESSAGES = 40;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const nowMs = () => performance.timeOrigin + performance.now();

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function openClients(url: string, n: number, onMessage?: (m: any) => void): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  // In batches: a burst of thousands of handshakes measures the accept queue, not the gateway.
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => {
        const ws = new WebSocket(url);
        if (onMessage) ws.on('message', (data) => onMessage(JSON.parse(data.toString())));
        return new Promise<WebSocket>((resolve, reject) => {
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        });
      }),
    );
    out.push(...batch);
  }
  return out;
}

/**
 * Event committed → WebSocket client, with CLIENTS clients subscribed to one
 * application while it is deployed DEPLOYS times (every DeploymentProgressed
 * reaches every client: the `at` of the event, stamped by the decider just
 * before its append, to the client's clock on the same machine), against a
 * bare NATS publish → CLIENTS core subscribers in the same run. Then gateway
 * RSS per 1,000 idle connections.
 */
export async function benchRealtime(): Promise<string[]> {
  const docker = await requireTestEngine(new DockerClient({ host: process.env.DOCKER_HOST }));
  const image = await ensureSiteImage(docker);
  const t = await startTestPlatform([], { SLIPWAY_STOP_GRACE_SECONDS: '1', SLIPWAY_DEPLOY_STABLE_MS: '500', SLIPWAY_WS_MAX_CONNECTIONS_PER_USER: String(CLIENTS + IDLE + 10) });
  const lines: string[] = [];
  try {
    // Baseline: bare NATS, one publisher, CLIENTS subscribers (on 10 connections), same server as the platform.
    const pub = await connect({ servers: t.natsUrl });
    const subConns = await Promise.all(Array.from({ length: 10 }, () => connect({ servers: t.natsUrl })));
    const bare: number[] = [];
    const subject = `bench.realtime.${Date.now()}`;
    for (let i = 0; i < CLIENTS; i++) {
      subConns[i % subConns.length].subscribe(subject, {
        callback: (_e, msg) => {
          bare.push(nowMs() - Number(JSON.parse(msg.string()).at));
        },
      });
    }
    await Promise.all(subConns.map((c) => c.flush()));
    for (let i = 0; i < BARE_MESSAGES; i++) {
      pub.publish(subject, JSON.stringify({ at: nowMs(), data: { deploymentId: 'x', applicationId: 'y', status: 'building', progress: i, stage: 'building', message: 'Building: step 3 of 7' } }));
      await sleep(100);
    }
    await sleep(500);
    await pub.close();
    await Promise.all(subConns.map((c) => c.close()));

    const user = await t.user();
    const project = await t.api('POST', '/api/projects', { token: user.token, body: { name: 'bench-realtime' } });
    const app = await t.api('POST', '/api/applications', { token: user.token, body: { name: 'bench-ws', projectId: project.body.id, image } });
    const url = `${t.baseUrl.replace(/^http/, 'ws')}/api/ws?token=${user.token}`;
    // The same events as the gateway hears them: the outbox's share of the path.
    const tap = await connect({ servers: t.natsUrl });
    const relayed: number[] = [];
    tap.subscribe(`${t.instance}.events.deployments.DeploymentProgressed`, {
      callback: (_e, msg) => {
        relayed.push(Date.now() - Date.parse(JSON.parse(msg.string()).data.at));
      },
    });
    const ws: number[] = [];
    let confirmed = 0;
    const clients = await openClients(url, CLIENTS, (m) => {
      if (m.type === 'deployment.status') ws.push(Date.now() - Date.parse(m.at));
      if (m.type === 'subscribed') confirmed++;
    });
    for (const c of clients) c.send(JSON.stringify({ type: 'subscribe', id: 's', channel: 'deployment.status', filter: { applicationId: app.body.id } }));
    while (confirmed < CLIENTS) await sleep(50);
    let events = 0;
    for (let i = 0; i < DEPLOYS; i++) {
      const accepted = await t.api('POST', `/api/applications/${app.body.id}/deploy`, { token: user.token, body: { force: true } });
      for (;;) {
        const d = await t.api('GET', `/api/deployments/${accepted.body.deploymentId}`, { token: user.token });
        if (['success', 'failed', 'cancelled'].includes(d.body.status)) break;
        await sleep(200);
      }
    }
    await sleep(1000);
    events = ws.length / CLIENTS;
    for (const c of clients) c.terminate();
    await tap.close();
    const bp50 = pct(bare, 0.5);
    const bp99 = pct(bare, 0.99);
    const wp50 = pct(ws, 0.5);
    const wp99 = pct(ws, 0.99);
    lines.push(`${'baseline: bare NATS publish → subscriber'.padEnd(44)} p50 ${bp50.toFixed(2)} ms  p99 ${bp99.toFixed(2)} ms  (${CLIENTS} subscribers, ${bare.length} deliveries)`);
    lines.push(`${'event committed → NATS (outbox relay)'.padEnd(44)} p50 ${pct(relayed, 0.5).toFixed(1)} ms  p99 ${pct(relayed, 0.99).toFixed(1)} ms  (${relayed.length} events)`);
    lines.push(
      `${`event committed → WS client (${CLIENTS} clients)`.padEnd(44)} p50 ${wp50.toFixed(1)} ms  p99 ${wp99.toFixed(1)} ms  (${ws.length} deliveries of ${events.toFixed(0)} events)  p99 vs bare p99 ${(wp99 / Math.max(bp99, 0.001)).toFixed(1)}x`,
    );

    // Idle connections: RSS of the gateway before and after IDLE authenticated connections.
    const gateway = t.platform.pids().gateway!;
    await sleep(1000);
    const before = rssMb(gateway);
    const idle = await openClients(url, IDLE);
    await sleep(2000);
    const after = rssMb(gateway);
    for (const c of idle) c.terminate();
    lines.push(`${'gateway RSS per 1,000 idle WS connections'.padEnd(44)} ${(((after - before) * 1000) / IDLE).toFixed(1)} MB  (${before.toFixed(0)} → ${after.toFixed(0)} MB with ${IDLE})`);
  } finally {
    await cleanEngine(docker, t.instance).catch(() => undefined);
    await t.stop();
    docker.close();
  }
  return lines;
}

if (require.main === module) {
  benchRealtime()
    .then((lines) => console.log(lines.join('\n')))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
