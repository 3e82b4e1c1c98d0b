import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { CaddyAdmin } from '@slipway/deployments-domain';
import type { DockerClient } from '@slipway/docker';
import { freePort, startTestPlatform, type TestPlatform } from './harness';
import { cleanEngine, engine, ensureSiteImage, until } from './docker-fixtures';

/**
 * Slipway itself on its own domain (SLIPWAY_DOMAIN) through the same Caddy
 * that serves applications, on the real engine: Caddy, a Swarm task, reaches
 * the gateway process on the host by docker_gwbridge's gateway address. Like
 * `curl --resolve console.slipway.test:<port>:127.0.0.1 --cacert <root>`:
 * health, docs and an authenticated call over HTTPS, HTTP → 301, an SSE
 * stream, and a WebSocket on /api/ws receiving a deployment's status.
 */
const PROXY_IMAGE = process.env.SLIPWAY_PROXY_IMAGE ?? 'slipway-test/caddy:2';
const DOMAIN = 'console.slipway.test';
let t: TestPlatform;
let docker: DockerClient;
let alice: { token: string; userId: string };
let httpPort: number;
let httpsPort: number;
let proxyDir: string;
let root: string;
const logs: string[] = [];
const sockets: WebSocket[] = [];

interface Answer { status: number; body: string; headers: IncomingMessage['headers'] }

/** One request to the proxy with the domain as Host and SNI, trusting only the internal CA's root. */
function send(scheme: 'http' | 'https', method: string, path: string, opts: { token?: string; body?: unknown; until?: (body: string) => boolean } = {}): Promise<Answer> {
  return new Promise((done, fail) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Host: DOMAIN };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (payload) headers['content-type'] = 'application/json';
    const common = { host: '127.0.0.1', method, path, headers, timeout: 15_000, agent: false as const };
    const req =
      scheme === 'https'
        ? httpsRequest({ ...common, port: httpsPort, servername: DOMAIN, ca: root }, onRes)
        : httpRequest({ ...common, port: httpPort }, onRes);
    function onRes(res: IncomingMessage) {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        // A stream that stays open: stop once what the test waits for has arrived.
        if (opts.until?.(body)) {
          done({ status: res.statusCode ?? 0, body, headers: res.headers });
          req.destroy();
        }
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', fail);
    req.end(payload);
  });
}

const json = (a: Answer) => JSON.parse(a.body);

beforeAll(async () => {
  docker = await engine();
  execFileSync(resolve(__dirname, '../../docker/build-proxy-image.sh'), { stdio: 'inherit' });
  httpPort = await freePort();
  httpsPort = await freePort();
  proxyDir = mkdtempSync(join(tmpdir(), 'slipway-proxy-'));
  t = await startTestPlatform(logs, {
    SLIPWAY_PROXY: 'on',
    SLIPWAY_PROXY_IMAGE: PROXY_IMAGE,
    SLIPWAY_PROXY_HTTP_PORT: String(httpPort),
    SLIPWAY_PROXY_HTTPS_PORT: String(httpsPort),
    SLIPWAY_PROXY_DIR: proxyDir,
    SLIPWAY_PROXY_SYNC_MS: '200',
    SLIPWAY_ACME: 'on',
    SLIPWAY_DOMAIN: DOMAIN,
    SLIPWAY_DEPLOY_STABLE_MS: '1000',
    SLIPWAY_DEPLOY_TIMEOUT_MS: '60000',
  });
  alice = await t.user();
  root = await until('the internal CA root', () => new CaddyAdmin(join(proxyDir, 'admin.sock')).rootCertificate().catch(() => undefined), 60_000);
}, 240_000);

afterAll(async () => {
  for (const s of sockets) s.terminate();
  console.log(logs.filter((l) => /proxy|certificate/i.test(l)).slice(-30).join('\n'));
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  if (proxyDir) rmSync(proxyDir, { recursive: true, force: true });
  docker?.close();
});

describe('Slipway on its own domain through the proxy', () => {
  it('answers /api/health over HTTPS with the internal CA (a test TLD, although ACME is on) and HSTS; HTTP answers 301', async () => {
    const health = await until('health over https', () => send('https', 'GET', '/api/health').then((r) => (r.status === 200 ? r : undefined), () => undefined), 60_000);
    expect(json(health).status).toBeDefined();
    expect(health.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    const redirect = await send('http', 'GET', '/api/health?x=1');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(`https://${DOMAIN}/api/health?x=1`);
  });

  it('serves the API docs and the OpenAPI document', async () => {
    const spec = await send('https', 'GET', '/api/openapi.json');
    expect(spec.status).toBe(200);
    expect(json(spec).openapi).toMatch(/^3\./);
    const docs = await send('https', 'GET', '/api/docs');
    expect(docs.status).toBe(200);
    expect(docs.body).toMatch(/<html/i);
  });

  it('passes authenticated REST calls through (and refuses unauthenticated ones in the error format)', async () => {
    const me = await send('https', 'GET', '/api/users/me', { token: alice.token });
    expect(me.status).toBe(200);
    expect(json(me).id).toBe(alice.userId);
    const created = await send('https', 'POST', '/api/projects', { token: alice.token, body: { name: 'via-proxy' } });
    expect(created.status).toBe(201);
    const anonymous = await send('https', 'GET', '/api/projects');
    expect(anonymous.status).toBe(401);
    expect(json(anonymous).error.code).toBeDefined();
  });

  it("refuses Slipway's own domain to an application (409)", async () => {
    const projectId = json(await send('https', 'POST', '/api/projects', { token: alice.token, body: { name: 'claims' } })).id;
    const app = await t.api('POST', '/api/applications', { token: alice.token, body: { name: 'squatter', projectId, image: 'slipway-test/site:latest', ports: [{ containerPort: 8080 }] } });
    expect(app.status).toBe(201);
    const claim = await t.api('POST', `/api/applications/${app.body.id}/domains`, { token: alice.token, body: { domain: 'Console.Slipway.Test', containerPort: 8080 } });
    expect(claim.status).toBe(409);
    expect(claim.body.error.code).toBe('CONFLICT');
    expect(claim.body.error.details).toMatchObject({ field: 'domain' });
  });

  it('passes a WebSocket on /api/ws through with its upgrade: a deploy started over HTTPS reaches the subscriber; its log stream (SSE) too', async () => {
    const projectId = json(await send('https', 'POST', '/api/projects', { token: alice.token, body: { name: 'live' } })).id;
    const image = await ensureSiteImage(docker);
    const app = await send('https', 'POST', '/api/applications', { token: alice.token, body: { name: 'site', projectId, image, ports: [{ containerPort: 8080 }] } });
    expect(app.status).toBe(201);
    const appId = json(app).id;

    const messages: any[] = [];
    const ws = new WebSocket(`wss://${DOMAIN}:${httpsPort}/api/ws?token=${alice.token}`, {
      ca: root,
      // --resolve: the name for Host and SNI, the connection to the proxy on this machine.
      lookup: ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) =>
        options?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as never,
    });
    sockets.push(ws);
    ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok());
      ws.once('error', fail);
    });
    const next = (match: (m: any) => boolean, what: string) => until(what, async () => messages.find(match), 60_000, 20);
    expect((await next((m) => m.type === 'welcome', 'welcome')).channels).toContain('deployment.status');
    ws.send(JSON.stringify({ type: 'subscribe', id: 's1', channel: 'deployment.status', filter: { applicationId: appId } }));
    expect((await next((m) => m.id === 's1', 'the subscription answer')).type).toBe('subscribed');

    const accepted = await send('https', 'POST', `/api/applications/${appId}/deploy`, { token: alice.token, body: {} });
    expect(accepted.status).toBe(202);
    const deploymentId = json(accepted).deploymentId;
    const event = await next((m) => m.type === 'deployment.status' && m.subscription === 's1', 'a deployment.status event');
    expect(event.data).toMatchObject({ deploymentId, applicationId: appId });
    await next((m) => m.type === 'deployment.status' && ['success', 'failed'].includes(m.data.status), 'the deployment to end');

    const stream = await send('https', 'GET', `/api/deployments/${deploymentId}/logs?follow=true`, { token: alice.token, until: (b) => /event: end/.test(b) });
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/text\/event-stream/);
    expect(stream.body).toMatch(/event: log/);
    expect(stream.body).toMatch(/event: end/);
  });
});
