import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { cleanEngine, engine, ensureSiteImage, until } from './docker-fixtures';

/**
 * Issue 10 item 7: a receiver that is down while a deployment runs on the real
 * engine, and comes up later, still gets every event of it, each verified
 * with `standardwebhooks` and under its event id.
 */
let t: TestPlatform;
let docker: DockerClient;
let owner: { token: string; userId: string };
const logs: string[] = [];

beforeAll(async () => {
  docker = await engine();
  t = await startTestPlatform(logs, {
    SLIPWAY_WEBHOOK_BACKOFF_MS: Array.from({ length: 60 }, () => '500').join(','),
    SLIPWAY_WEBHOOK_POLL_MS: '200',
    SLIPWAY_WEBHOOK_DISABLE_AFTER: '1000',
    SLIPWAY_DEPLOY_STABLE_MS: '1000',
  });
  owner = await t.user();
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  docker?.close();
});

const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: owner.token, body });

describe('outgoing webhooks during a deployment', () => {
  it('a receiver down during a deploy and up later gets every event of it', async () => {
    const team = await api('POST', '/api/teams', { name: 'Deploy Receivers' });
    const teamId = team.body.id as string;
    // A port nothing listens on yet.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const endpoint = await api('POST', '/api/webhook-endpoints', { url: `http://127.0.0.1:${port}/hook`, events: ['deployment.*', 'application.*'], teamId });
    expect(endpoint.status).toBe(201);
    const secret = endpoint.body.secret as string;

    const projectId = (await api('POST', '/api/projects', { name: 'deploy-hooks', teamId })).body.id;
    const app = await api('POST', '/api/applications', { name: 'hooked-deploy', projectId, image: await ensureSiteImage(docker), ports: [{ containerPort: 8080 }] });
    expect(app.status).toBe(201);
    const deploy = await api('POST', `/api/applications/${app.body.id}/deploy`, {});
    const deploymentId = deploy.body.deploymentId as string;
    await until('the deployment to succeed', async () => (await api('GET', `/api/deployments/${deploymentId}`)).body.status === 'success', 120_000);
    await until('a failed attempt while the receiver is down', async () => {
      const list = (await api('GET', `/api/webhook-endpoints/${endpoint.body.id}/deliveries?limit=100`)).body.data as any[];
      return list.some((d) => d.status === 'pending' && d.attempts.length >= 1);
    }, 60_000);

    const received: Array<{ headers: IncomingHttpHeaders; payload: any }> = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          received.push({ headers: req.headers, payload: new Webhook(secret).verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>) });
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      const deliveries = await until('every delivery delivered after the receiver came up', async () => {
        const list = (await api('GET', `/api/webhook-endpoints/${endpoint.body.id}/deliveries?limit=100`)).body.data as any[];
        const types = new Set(list.map((d) => d.type));
        const complete = ['application.created', 'deployment.created', 'deployment.started', 'deployment.succeeded'].every((ty) => types.has(ty));
        return complete && list.every((d) => d.status === 'delivered') ? list : undefined;
      }, 90_000);
      const ofDeployment = received.filter((r) => r.payload.data?.deploymentId === deploymentId).map((r) => r.payload.type);
      expect(new Set(ofDeployment)).toEqual(new Set(['deployment.created', 'deployment.started', 'deployment.succeeded']));
      // Every event under one id: what arrived is exactly what the endpoint recorded.
      expect(new Set(received.map((r) => r.payload.id))).toEqual(new Set(deliveries.map((d) => d.eventId)));
      for (const r of received) expect(r.headers['webhook-id']).toBe(r.payload.id);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 300_000);
});
