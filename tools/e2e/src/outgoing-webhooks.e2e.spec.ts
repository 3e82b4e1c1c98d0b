import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { startTestPlatform, type TestPlatform } from './harness';
import { until } from './docker-fixtures';

/**
 * Outgoing webhooks end to end: real receivers on this machine verify every
 * request with the `standardwebhooks` package (the Standard Webhooks
 * reference library), through failures, an outage and a kill -9.
 */
let t: TestPlatform;
let owner: { token: string; userId: string };
const logs: string[] = [];

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  payload: any;
}

/** A receiver that answers with `answer(n)` for its n-th request (1-based), after verifying the signature. */
class Receiver {
  readonly received: Received[] = [];
  private server?: Server;
  secret = '';
  port = 0;
  constructor(public answer: (n: number) => number = () => 200) {}

  async listen(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        // Throws on a bad signature or a stale timestamp: the test then sees a 400 attempt.
        try {
          const payload = new Webhook(this.secret).verify(body, req.headers as Record<string, string>);
          this.received.push({ headers: req.headers, body, payload });
        } catch (e) {
          res.writeHead(400).end(`bad signature: ${(e as Error).message}`);
          return;
        }
        res.writeHead(this.answer(this.received.length)).end(`answer ${this.received.length}`);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }
}

beforeAll(async () => {
  t = await startTestPlatform(logs, {
    // Small retries so three attempts fit in a test; the schedule's shape is a unit test.
    SLIPWAY_WEBHOOK_BACKOFF_MS: '300,500,800,1000,1000,1000,1000,1000,1000,1000,1000,1000',
    SLIPWAY_WEBHOOK_POLL_MS: '200',
  });
  owner = await t.user();
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: owner.token, body });

async function newTeam(name: string): Promise<string> {
  const team = await api('POST', '/api/teams', { name });
  expect(team.status).toBe(201);
  return team.body.id;
}

async function endpointFor(receiver: Receiver, teamId: string, events = ['project.*']): Promise<string> {
  const created = await api('POST', '/api/webhook-endpoints', { url: receiver.url, events, teamId });
  expect(created.status).toBe(201);
  receiver.secret = created.body.secret;
  return created.body.id;
}

async function newProject(teamId: string, name: string): Promise<string> {
  const res = await api('POST', '/api/projects', { name, teamId });
  expect(res.status).toBe(201);
  return res.body.id;
}

const deliveriesOf = async (endpointId: string) => (await api('GET', `/api/webhook-endpoints/${endpointId}/deliveries?limit=100`)).body.data as any[];

describe('outgoing webhooks', () => {
  it('retries a receiver that answers 500 twice and delivers on the third attempt, signed per Standard Webhooks', async () => {
    const receiver = await new Receiver((n) => (n <= 2 ? 500 : 200)).listen();
    try {
      const teamId = await newTeam('Flaky Receivers');
      const endpointId = await endpointFor(receiver, teamId);
      const projectId = await newProject(teamId, 'flaky');

      const delivered = await until('delivered on the third attempt', async () => {
        const list = await deliveriesOf(endpointId);
        return list.find((d) => d.status === 'delivered');
      }, 60_000);
      expect(delivered.type).toBe('project.created');
      expect(delivered.attempts.map((a: any) => a.statusCode)).toEqual([500, 500, 200]);
      expect(delivered.attempts[0].excerpt).toBe('answer 1');
      expect(delivered.nextAttemptAt).toBeNull();

      expect(receiver.received).toHaveLength(3);
      const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']));
      expect(ids).toEqual(new Set([delivered.eventId]));
      const payload = receiver.received[2].payload;
      expect(payload).toMatchObject({ id: delivered.eventId, type: 'project.created', data: { projectId, teamId, name: 'flaky' } });
      expect(Date.parse(payload.timestamp)).not.toBeNaN();
      // Only the signature with this endpoint's secret verifies.
      const other = (await api('POST', '/api/webhook-endpoints', { url: receiver.url, events: ['*'], teamId })).body.secret;
      expect(() => new Webhook(other).verify(receiver.received[2].body, receiver.received[2].headers as Record<string, string>)).toThrow();
    } finally {
      await receiver.close();
    }
  });

  it('keeps retrying a receiver that is down and delivers once it is up; ping and manual retry work', async () => {
    const probe = await new Receiver().listen();
    const port = probe.port;
    await probe.close();
    const receiver = new Receiver();
    receiver.port = port;
    const teamId = await newTeam('Down Receivers');
    const endpointId = await endpointFor(receiver, teamId);
    await newProject(teamId, 'while-down');
    await until('a failed attempt while the receiver is down', async () => (await deliveriesOf(endpointId)).find((d) => d.attempts.length >= 1 && d.status === 'pending'), 60_000);
    const pending = (await deliveriesOf(endpointId))[0];
    expect(pending.attempts[0].statusCode).toBeNull();
    expect(pending.nextAttemptAt).not.toBeNull();

    await receiver.listen(port);
    try {
      const delivered = await until('delivered after the receiver came up', async () => (await deliveriesOf(endpointId)).find((d) => d.status === 'delivered'), 60_000);
      expect(receiver.received.map((r) => r.payload.id)).toEqual([delivered.eventId]);

      const ping = await api('POST', `/api/webhook-endpoints/${endpointId}/test`);
      expect(ping.status).toBe(202);
      await until('the ping arrives', async () => receiver.received.find((r) => r.payload.type === 'webhook.ping'), 30_000);

      const retried = await api('POST', `/api/webhook-endpoints/${endpointId}/deliveries/${delivered.id}/retry`);
      expect(retried.status).toBe(202);
      await until('the retried delivery arrives again, same id', async () => receiver.received.filter((r) => r.payload.id === delivered.eventId).length === 2, 30_000);
      expect((await api('POST', `/api/webhook-endpoints/${endpointId}/deliveries/00000000-0000-4000-8000-000000000000/retry`)).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });

  it('delivers everything pending after a kill -9 of the webhooks service, each event under one id', async () => {
    let failing = true;
    const receiver = await new Receiver(() => (failing ? 503 : 200)).listen();
    try {
      const teamId = await newTeam('Crash Receivers');
      const endpointId = await endpointFor(receiver, teamId);
      for (let i = 0; i < 4; i++) await newProject(teamId, `crash-${i}`);
      await until('four deliveries pending after failed attempts', async () => {
        const list = await deliveriesOf(endpointId);
        return list.length === 4 && list.every((d) => d.status === 'pending' && d.attempts.length >= 1);
      }, 60_000);

      await t.kill('webhooks');
      failing = false;
      await t.restart('webhooks');

      const list = await until('all four delivered after the restart', async () => {
        const l = await deliveriesOf(endpointId);
        return l.length === 4 && l.every((d) => d.status === 'delivered') ? l : undefined;
      }, 90_000);
      const okIds = receiver.received.filter((r) => r.payload.type === 'project.created').map((r) => r.payload.id);
      expect(new Set(okIds)).toEqual(new Set(list.map((d) => d.eventId)));
      for (const r of receiver.received) expect(r.headers['webhook-id']).toBe(r.payload.id);
    } finally {
      await receiver.close();
    }
  });
});

describe('an endpoint that keeps failing', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    // Its own platform: a short schedule spent in well under a second, and disabling after two events.
    p = await startTestPlatform(logs, { SLIPWAY_WEBHOOK_BACKOFF_MS: '100,100', SLIPWAY_WEBHOOK_DISABLE_AFTER: '2', SLIPWAY_WEBHOOK_POLL_MS: '100' });
  }, 180_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('is disabled after the configured number of consecutive failed events, with a webhook.endpoint.disabled event', async () => {
    const user = await p.user();
    const call = (method: string, path: string, body?: unknown) => p.api(method, path, { token: user.token, body });
    const failing = await new Receiver(() => 500).listen();
    const watcher = await new Receiver().listen();
    try {
      const teamId = (await call('POST', '/api/teams', { name: 'Failing' })).body.id;
      const bad = (await call('POST', '/api/webhook-endpoints', { url: failing.url, events: ['project.created'], teamId })).body;
      failing.secret = bad.secret;
      watcher.secret = (await call('POST', '/api/webhook-endpoints', { url: watcher.url, events: ['webhook.*'], teamId })).body.secret;
      for (const name of ['one', 'two']) expect((await call('POST', '/api/projects', { name, teamId })).status).toBe(201);

      await until('the failing endpoint is disabled', async () => (await call('GET', `/api/webhook-endpoints/${bad.id}`)).body.enabled === false, 60_000);
      const deliveries = (await call('GET', `/api/webhook-endpoints/${bad.id}/deliveries`)).body.data;
      expect(deliveries.map((d: any) => [d.status, d.attempts.length])).toEqual([
        ['failed', 3],
        ['failed', 3],
      ]);
      const disabled = await until('the team hears about it', async () => watcher.received.find((r) => r.payload.type === 'webhook.endpoint.disabled'), 60_000);
      expect(disabled.payload.data).toMatchObject({ endpointId: bad.id, teamId, url: failing.url });
      expect(disabled.payload.data).not.toHaveProperty('secret');
    } finally {
      await failing.close();
      await watcher.close();
    }
  });
});
