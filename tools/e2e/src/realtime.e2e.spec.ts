import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { DockerClient } from '@slipway/docker';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from './harness';
import { TEST_BASE_IMAGE, TestRepo, cleanEngine, engine, until } from './docker-fixtures';

/**
 * The realtime surface on the real engine: a WebSocket client follows a
 * deploy stage by stage, a running app's output reaches a WebSocket
 * subscriber and an SSE reader, foreign resources and bad subscriptions are
 * refused in the error format, and a revoked key is disconnected.
 */
let t: TestPlatform;
let docker: DockerClient;
let alice: { token: string; userId: string };
let bob: { token: string; userId: string };
let teamId: string;
let projectId: string;
let repo: TestRepo;
const logs: string[] = [];
const sockets: WebSocket[] = [];

beforeAll(async () => {
  docker = await engine();
  t = await startTestPlatform(logs, { SLIPWAY_DEPLOY_STABLE_MS: '1000', SLIPWAY_DEPLOY_TIMEOUT_MS: '60000', SLIPWAY_SSE_HEARTBEAT_MS: '500' });
  alice = await t.user();
  bob = await t.user();
  teamId = (await t.api('POST', '/api/teams', { token: alice.token, body: { name: 'Realtime Team' } })).body.id;
  projectId = (await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'live', teamId } })).body.id;
  repo = new TestRepo('live');
  // Several build steps, so progress has steps to count.
  repo.commit('first', TestRepo.site('live\n', 'RUN echo one\nRUN echo two\n'));
}, 180_000);

afterAll(async () => {
  for (const s of sockets) s.terminate();
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  repo?.remove();
  docker?.close();
});

/** A WebSocket client that keeps every message it gets and how it was closed. */
class Client {
  readonly messages: any[] = [];
  closed?: { code: number; reason: string };
  constructor(readonly ws: WebSocket) {
    sockets.push(ws);
    ws.on('message', (data) => this.messages.push(JSON.parse(data.toString())));
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async open(path: string, headers: Record<string, string> = {}, baseUrl = t.baseUrl): Promise<Client> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${path}`, { headers });
    const client = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await client.next((m) => m.type === 'welcome' || m.type === 'error');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  next(match: (m: any) => boolean, what = 'a matching message'): Promise<any> {
    return until(what, async () => this.messages.find(match), 60_000, 20);
  }

  async subscribe(id: string, channel: string, filter: Record<string, string>): Promise<any> {
    this.send({ type: 'subscribe', id, channel, filter });
    return this.next((m) => m.id === id && (m.type === 'subscribed' || m.type === 'error'), `the answer to subscription ${id}`);
  }
}

async function createApp(body: Record<string, unknown>): Promise<string> {
  const res = await t.api('POST', '/api/applications', { token: alice.token, body: { projectId, ...body } });
  if (res.status !== 201) throw new Error(`app creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function finished(deploymentId: string): Promise<any> {
  return until(`deployment ${deploymentId} to finish`, async () => {
    const d = await t.api('GET', `/api/deployments/${deploymentId}`, { token: alice.token });
    return ['success', 'failed', 'cancelled'].includes(d.body.status) ? d.body : undefined;
  }, 120_000);
}

/** Reads a text/event-stream until `done` says enough; returns the events and the response. */
function readSse(path: string, token: string, done: (events: Array<{ event: string; id?: string; data: any }>, comments: string[]) => boolean, headers: Record<string, string> = {}) {
  return new Promise<{ res: IncomingMessage; events: Array<{ event: string; id?: string; data: any }>; comments: string[] }>((resolve, reject) => {
    const url = new URL(path, t.baseUrl);
    const req = httpRequest(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', ...headers } }, (res) => {
      const events: Array<{ event: string; id?: string; data: any }> = [];
      const comments: string[] = [];
      let buffer = '';
      const finish = () => {
        req.destroy();
        resolve({ res, events, comments });
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line);
            else {
              const i = line.indexOf(':');
              if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).replace(/^ /, '');
            }
          }
          if (fields.data !== undefined) events.push({ event: fields.event ?? 'message', id: fields.id, data: JSON.parse(fields.data) });
          if (done(events, comments)) return finish();
        }
      });
      res.on('end', () => resolve({ res, events, comments }));
      if (res.statusCode !== 200) finish();
    });
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    req.end();
  });
}

describe('deployment.status', () => {
  it('a subscriber receives every stage in order with rising progress, ending in success; GET shows the same figure', async () => {
    const appId = await createApp({ name: 'staged', gitSource: { repoUrl: repo.dir, branch: 'main' }, ports: [{ containerPort: 8080 }] });
    const client = await Client.open(`/api/ws?token=${alice.token}`);
    expect(await client.subscribe('app', 'deployment.status', { applicationId: appId })).toMatchObject({ type: 'subscribed', channel: 'deployment.status', filter: { applicationId: appId } });
    // Another gateway replica serves its own clients from the same events.
    const replica = await t.startGateway();
    const elsewhere = await Client.open(`/api/ws?token=${alice.token}`, {}, replica.baseUrl);
    expect(await elsewhere.subscribe('p', 'deployment.status', { projectId })).toMatchObject({ type: 'subscribed' });
    const accepted = await t.api('POST', `/api/applications/${appId}/deploy`, { token: alice.token, body: {} });
    expect(accepted.status).toBe(202);
    const done = await finished(accepted.body.deploymentId);
    expect(done.status).toBe('success');
    expect(done.progress).toBe(100);
    await client.next((m) => m.type === 'deployment.status' && m.data.status === 'success', 'the success message');
    const there = await elsewhere.next((m) => m.type === 'deployment.status' && m.data.status === 'success', 'the success message on the other replica');
    expect(there).toMatchObject({ subscription: 'p', data: { deploymentId: accepted.body.deploymentId, progress: 100 } });
    const statuses = client.messages.filter((m) => m.type === 'deployment.status').map((m) => m.data);
    for (const s of statuses) {
      expect(s).toMatchObject({ deploymentId: accepted.body.deploymentId, applicationId: appId });
      // Exactly the contract's shape.
      expect(Object.keys(s).sort()).toEqual(['applicationId', 'deploymentId', 'message', 'progress', 'stage', 'status']);
    }
    const order = statuses.map((s) => s.status).filter((s, i, all) => s !== all[i - 1]);
    expect(order).toEqual(['pending', 'cloning', 'building', 'deploying', 'success']);
    const figures = statuses.map((s) => s.progress);
    expect([...figures].sort((a, b) => a - b)).toEqual(figures);
    expect(figures.at(-1)).toBe(100);
    // Build steps were counted: at least one figure strictly inside the build band.
    expect(statuses.some((s) => s.status === 'building' && s.progress > 10 && s.progress < 70)).toBe(true);
    expect(statuses.some((s) => /step \d+ of \d+/.test(s.message))).toBe(true);
  }, 180_000);
});

describe('refusals', () => {
  it("another team's application is refused in the error format, and bad subscriptions get it too", async () => {
    const appId = await createApp({ name: 'private', image: TEST_BASE_IMAGE, replicas: 0 });
    const intruder = await Client.open('/api/ws', { Authorization: `Bearer ${bob.token}` });
    const refused = await intruder.subscribe('peek', 'deployment.status', { applicationId: appId });
    expect(refused).toMatchObject({ type: 'error', id: 'peek', error: { code: 'RESOURCE_NOT_FOUND' } });
    expect(refused.error).toEqual(expect.objectContaining({ message: expect.any(String), details: expect.any(Object), timestamp: expect.any(String), requestId: expect.any(String) }));
    const logs = await intruder.subscribe('peek-logs', 'application.logs', { applicationId: appId });
    expect(logs.error.code).toBe('RESOURCE_NOT_FOUND');

    const bad = await intruder.subscribe('bad', 'nope', { applicationId: appId });
    expect(bad).toMatchObject({ type: 'error', id: 'bad', error: { code: 'VALIDATION_ERROR', details: { errors: [{ field: 'channel', constraint: 'isIn' }] } } });
    const noFilter = await intruder.subscribe('nofilter', 'deployment.status', {});
    expect(noFilter.error.details.errors[0]).toMatchObject({ field: 'filter', constraint: 'exactlyOne' });
    intruder.send('not json');
    expect(await intruder.next((m) => m.type === 'error' && m.id === undefined && m.error.code === 'INVALID_INPUT')).toBeDefined();
    intruder.send({ type: 'ping', id: 'p1' });
    expect(await intruder.next((m) => m.type === 'pong' && m.id === 'p1')).toBeDefined();

    // A client that subscribes the moment the socket opens (before the welcome) is answered too.
    const eager = new Client(new WebSocket(`${t.baseUrl.replace(/^http/, 'ws')}/api/ws?token=${alice.token}`));
    eager.ws.once('open', () => eager.send({ type: 'subscribe', id: 'now', channel: 'deployment.status', filter: { applicationId: appId } }));
    expect(await eager.next((m) => m.id === 'now')).toMatchObject({ type: 'subscribed' });
  });

  it('no credential or a bad one: an error message, then close 4401', async () => {
    const anonymous = await Client.open('/api/ws');
    await until('the close', async () => anonymous.closed);
    expect(anonymous.closed!.code).toBe(4401);
    expect(anonymous.messages[0]).toMatchObject({ type: 'error', error: { code: 'UNAUTHORIZED' } });
    const forged = await Client.open('/api/ws?token=slw_00000000000000000000000000000000_nope');
    await until('the close', async () => forged.closed);
    expect(forged.closed!.code).toBe(4401);
  });
});

describe('revocation', () => {
  it('a revoked API key is disconnected (4403), and so is a logged-out session', async () => {
    const key = await t.api('POST', '/api/api-keys', { token: alice.token, body: { name: 'live', teamId, permission: 'read', expiresAt: null } });
    expect(key.status).toBe(201);
    const client = await Client.open(`/api/ws?token=${key.body.key}`);
    expect(client.messages[0].type).toBe('welcome');
    expect(await client.subscribe('p', 'deployment.status', { projectId })).toMatchObject({ type: 'subscribed' });
    // A log stream over HTTP with the same key ends too.
    const appId = await createApp({ name: 'watched', image: TEST_BASE_IMAGE, replicas: 0 });
    let opened = false;
    const sse = readSse(`/api/applications/${appId}/logs?follow=true`, key.body.key, (_e, comments) => ((opened = comments.length > 0), false));
    await until('the stream to open', async () => opened);
    expect((await t.api('DELETE', `/api/api-keys/${key.body.id}`, { token: alice.token })).status).toBe(204);
    await until('the disconnect', async () => client.closed);
    expect(client.closed!.code).toBe(4403);
    expect(client.messages.at(-1)).toMatchObject({ type: 'error', error: { code: 'INVALID_TOKEN' } });
    expect((await sse).events.at(-1)).toMatchObject({ event: 'error', data: { code: 'INVALID_TOKEN' } });

    const carol = await t.user();
    const session = await Client.open(`/api/ws?token=${carol.token}`);
    expect((await t.api('POST', '/api/auth/logout', { token: carol.token })).status).toBeLessThan(300);
    await until('the disconnect', async () => session.closed);
    expect(session.closed!.code).toBe(4403);
  });
});

describe('application.logs', () => {
  it('a line printed by a running app reaches a WebSocket subscriber and an SSE reader; log responses link the stream', async () => {
    const appId = await createApp({
      name: 'chatty',
      image: TEST_BASE_IMAGE,
      command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.3; done'],
    });
    // The SSE reader starts before anything runs: headers and heartbeats come at once.
    const early = await readSse(`/api/applications/${appId}/logs?follow=true`, alice.token, () => true);
    expect(early.res.statusCode).toBe(200);
    expect(early.res.headers['content-type']).toMatch(/^text\/event-stream/);
    // Nothing runs yet: the stream stays open with heartbeats.
    const quiet = await readSse(`/api/applications/${appId}/logs?follow=true`, alice.token, (_events, comments) => comments.some((c) => c.startsWith(': heartbeat')));
    expect(quiet.events).toEqual([]);

    const client = await Client.open(`/api/ws?token=${alice.token}`);
    expect(await client.subscribe('out', 'application.logs', { applicationId: appId })).toMatchObject({ type: 'subscribed' });
    const sse = readSse(`/api/applications/${appId}/logs?follow=true&tail=1`, alice.token, (events) => events.some((e) => e.event === 'log' && /tick \d+/.test(e.data.message)));

    const accepted = await t.api('POST', `/api/applications/${appId}/deploy`, { token: alice.token, body: {} });
    expect((await finished(accepted.body.deploymentId)).status).toBe('success');

    const line = await client.next((m) => m.type === 'application.logs' && /tick \d+/.test(m.data.message), 'a tick on the WebSocket');
    expect(line).toMatchObject({ subscription: 'out', data: { applicationId: appId, level: 'info', container: expect.any(String), timestamp: expect.any(String) } });
    expect(Object.keys(line.data).sort()).toEqual(['applicationId', 'container', 'level', 'message', 'timestamp']);
    const read = await sse;
    const tick = read.events.find((e) => e.event === 'log')!;
    if (!tick) throw new Error(`no log event: ${JSON.stringify(read.events)} ${read.res.statusCode} ${logs.filter((l) => /follow|log/i.test(l)).slice(-20).join('\n')}`);
    expect(tick.data).toMatchObject({ applicationId: appId, message: expect.stringMatching(/tick \d+/) });
    expect(tick.id).toBeDefined();

    // Last-Event-ID resumes after that line: the first line then is a later one.
    const resumed = await readSse(`/api/applications/${appId}/logs?follow=true`, alice.token, (events) => events.some((e) => e.event === 'log'), { 'Last-Event-ID': tick.id! });
    const next = resumed.events.find((e) => e.event === 'log')!;
    expect(next.id! > tick.id!).toBe(true);

    const plain = await t.api('GET', `/api/applications/${appId}/logs`, { token: alice.token });
    expect(plain.body._links.stream).toMatch(new RegExp(`^ws://.+/api/applications/${appId}/logs\\?follow=true$`));

    // The same URL upgrades to a WebSocket.
    const upgraded = await Client.open(`/api/applications/${appId}/logs?follow=true&token=${alice.token}`);
    expect(await upgraded.next((m) => m.type === 'application.logs' && /tick/.test(m.data.message))).toBeDefined();
  }, 180_000);

  it("a deployment's SSE stream carries its lines and ends when the deployment does", async () => {
    const appId = await createApp({ name: 'short', image: TEST_BASE_IMAGE, command: ['sh', '-c', 'sleep 3600'] });
    const accepted = await t.api('POST', `/api/applications/${appId}/deploy`, { token: alice.token, body: {} });
    const read = await readSse(`/api/deployments/${accepted.body.deploymentId}/logs?follow=true`, alice.token, () => false);
    expect(read.res.statusCode).toBe(200);
    expect(read.events.at(-1)).toMatchObject({ event: 'end', data: { deploymentId: accepted.body.deploymentId } });
    expect(read.events.filter((e) => e.event === 'log').length).toBeGreaterThan(0);
    const seqs = read.events.filter((e) => e.event === 'log').map((e) => Number(e.id));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  }, 180_000);

  it("an application's stream ends when the application is deleted", async () => {
    const appId = await createApp({ name: 'doomed', image: TEST_BASE_IMAGE, command: ['sh', '-c', 'echo up; sleep 3600'] });
    const accepted = await t.api('POST', `/api/applications/${appId}/deploy`, { token: alice.token, body: {} });
    expect((await finished(accepted.body.deploymentId)).status).toBe('success');
    let seen = false;
    const sse = readSse(`/api/applications/${appId}/logs?follow=true`, alice.token, (events) => ((seen = events.some((e) => e.event === 'log')), false));
    await until('the first line', async () => seen);
    expect((await t.api('DELETE', `/api/applications/${appId}`, { token: alice.token })).status).toBeLessThan(300);
    expect((await sse).events.at(-1)).toMatchObject({ event: 'end', data: { applicationId: appId } });
  }, 180_000);
});
