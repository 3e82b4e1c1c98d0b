import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { startTestPlatform, type TestPlatform } from './harness';

/**
 * Poison messages and dependency outages. This platform reaches PostgreSQL
 * and NATS through proxies the test can cut, so the machine's shared servers
 * keep running for everyone else.
 */
let t: TestPlatform;
let nc: NatsConnection;
let user: { token: string; userId: string; username: string };
const PASSWORD = 'correct-horse-battery';

beforeAll(async () => {
  t = await startTestPlatform([], {}, { proxyDatabase: true, proxyNats: true });
  nc = await connect({ servers: t.natsUrl });
  user = await t.user();
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await t?.stop();
});

async function eventually<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls (every 20 ms) until `ok`; returns how long it took. */
async function timeUntil(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

const publishRaw = (subject: string, body: string) => jetstream(nc).publish(subject, body, { msgID: randomUUID() });
/** A message every consumer chokes on: no ids, no stream, no data. */
const broken = (type: string) => JSON.stringify({ type, service: 'x', data: null, metadata: {} });
const deadLetters = async (service: string) => (await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${t.schemaPrefix}${service}".dead_letters`))[0].n;

describe('poison messages', () => {
  it('one request with a lone surrogate, and messages no consumer can handle, do not stop the audit log', async () => {
    const project = await t.api('POST', '/api/projects', { token: user.token, body: { name: 'poison-a' } });
    expect(project.status).toBe(201);
    // The example from the report. The gateway's input boundary now refuses the lone surrogate itself…
    const patched = await t.api('PATCH', `/api/projects/${project.body.id}`, { token: user.token, raw: '{"teamId":"\\ud800"}', headers: { 'content-type': 'application/json' } });
    expect(patched.status).toBe(400);
    expect(patched.body.error.code).toBe('INVALID_INPUT');
    // …so the poison the consumer used to choke on (text jsonb refuses, in a RequestRejected event)
    // is sent the way any publisher on the subject could send it.
    const rejected = {
      eventId: randomUUID(),
      service: 'gateway',
      type: 'RequestRejected',
      streamId: `request-${randomUUID()}`,
      streamPosition: 1,
      globalPosition: 0,
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
      data: { method: 'PATCH', route: '/api/projects/:id', path: `/api/projects/${project.body.id}`, status: 404, message: 'no team \ud800', resourceType: 'project', resourceId: project.body.id, projectId: project.body.id },
      metadata: { actorId: user.userId, actorType: 'user', requestId: randomUUID() },
    };
    await publishRaw(`${t.instance}.events.gateway.RequestRejected`, JSON.stringify(rejected));
    await publishRaw(`${t.instance}.events.gateway.RequestRejected`, broken('RequestRejected'));
    await publishRaw(`${t.instance}.events.gateway.RequestRejected`, '{"not json');
    const later = await t.api('POST', '/api/projects', { token: user.token, body: { name: 'poison-b' } });
    expect(later.status).toBe(201);

    const audit = await eventually(
      'the audit log to record what came after the poison',
      async () => (await t.api('GET', '/api/audit?limit=100', { token: user.token })).body,
      (b) => b.data?.some((e: any) => e.action === 'ProjectCreated' && e.resource.id === later.body.id),
    );
    expect(audit.data.some((e: any) => e.outcome === 'failed' && e.action.startsWith('PATCH'))).toBe(true);
    await eventually('both unusable messages to be parked', () => deadLetters('identity'), (n) => n === 2);
    const health = await t.api('GET', '/api/health');
    expect(health.body.services.identity.deadLetters).toBe(2);
  });

  it('the projects statistics go on after a message they cannot count', async () => {
    const project = await t.api('POST', '/api/projects', { token: user.token, body: { name: 'poison-stats' } });
    await publishRaw(`${t.instance}.events.deployments.ApplicationCreated`, JSON.stringify({ type: 'ApplicationCreated', data: { projectId: 'not-a-uuid' }, metadata: {} }));
    const valid = { eventId: randomUUID(), service: 'deployments', type: 'ApplicationCreated', streamId: `application-${randomUUID()}`, streamPosition: 1, globalPosition: 1, schemaVersion: 1, occurredAt: new Date().toISOString(), metadata: {} };
    await publishRaw(`${t.instance}.events.deployments.ApplicationCreated`, JSON.stringify({ ...valid, data: { projectId: project.body.id, applicationId: randomUUID() } }));
    await eventually(
      'the valid event to be counted',
      async () => (await t.api('GET', `/api/projects/${project.body.id}`, { token: user.token })).body.statistics,
      (s) => s?.applicationCount === 1,
    );
    await eventually('the poison to be parked', () => deadLetters('projects'), (n) => n === 1);
  });

  it('the deployments service goes on after a project event it cannot apply', async () => {
    await publishRaw(`${t.instance}.events.projects.ProjectUpdated`, broken('ProjectUpdated'));
    await eventually('the poison to be parked', () => deadLetters('deployments'), (n) => n === 1);
    // Behind it, the consumer still works: a later event is acknowledged (nothing pending for it).
    await publishRaw(`${t.instance}.events.projects.ProjectUpdated`, JSON.stringify({ eventId: randomUUID(), type: 'ProjectUpdated', streamId: 'project-x', data: { projectId: randomUUID(), changes: {} }, metadata: {} }));
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(nc);
    await eventually(
      'the consumer to catch up',
      async () => {
        const consumers = [];
        for await (const c of jsm.consumers.list(t.eventsStream)) consumers.push(c);
        return consumers.find((c) => c.name.endsWith(`${t.schemaPrefix}deployments-projects`));
      },
      (c) => c !== undefined && c.num_pending === 0 && c.num_ack_pending === 0,
    );
  });

  it('the gateway access model ignores identity events it cannot read and applies the next ones', async () => {
    const victim = await t.user();
    await nc.publish(`${t.instance}.events.identity.SessionEnded`, broken('SessionEnded'));
    await nc.publish(`${t.instance}.events.identity.SessionEnded`, '\u0000{');
    expect((await t.api('POST', '/api/auth/logout', { token: victim.token })).status).toBeLessThan(300);
    await eventually('the ended session to be refused', async () => (await t.api('GET', '/api/users/me', { token: victim.token })).status, (s) => s === 401, 5000);
  });
});

describe('outages', () => {
  const login = () => t.api('POST', '/api/auth/login', { body: { username: user.username, password: PASSWORD } });
  // A read that still goes to its service (GET /api/projects is answered from the gateway's read model).
  const list = () => t.api('GET', '/api/applications', { token: user.token });
  const projects = () => t.api('GET', '/api/projects', { token: user.token });

  it('answers 503 with Retry-After at once while NATS is gone, and serves within a second of its return', async () => {
    await t.natsProxy!.cut();
    try {
      // The gateway sees the connection drop at once; the first answers after that are 503 without waiting 5 s.
      await eventually('the gateway to notice', async () => (await t.api('GET', '/api/health')).status, (s) => s === 503, 5000);
      for (const call of [list, login]) {
        const started = Date.now();
        const res = await call();
        expect(Date.now() - started).toBeLessThan(1000);
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
        expect(res.body.error.message).toMatch(/NATS/);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      // What the gateway holds in memory keeps answering.
      expect((await projects()).status).toBe(200);
    } finally {
      await t.natsProxy!.start();
    }
    const back = await timeUntil(async () => (await list()).status === 200);
    expect(back).toBeLessThan(1000);
    // And stays back: no breaker reopened by what failed during the outage.
    for (let i = 0; i < 20; i++) expect((await list()).status).toBe(200);
    expect((await login()).status).toBe(200);
  });

  it('answers 503 naming the database while PostgreSQL is gone, reports it in /api/health, and serves within a second of its return', async () => {
    await t.database!.cut();
    try {
      const calls = [list, login, () => t.api('POST', '/api/projects', { token: user.token, body: { name: 'during-outage' } })];
      for (const call of calls) {
        const started = Date.now();
        const res = await call();
        expect(Date.now() - started).toBeLessThan(1000);
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
        expect(res.body.error.message).toMatch(/database \(PostgreSQL at 127\.0\.0\.1:\d+\) is not reachable/);
        expect(res.body.error.details).toMatchObject({ dependency: 'postgresql' });
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      expect((await projects()).status).toBe(200);
      const health = await t.api('GET', '/api/health');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      for (const service of ['identity', 'projects', 'deployments']) {
        expect(health.body.services[service].status).toBe('degraded');
        expect(health.body.services[service].dependencies.postgresql).toMatchObject({ status: 'unavailable', message: expect.stringContaining('PostgreSQL at 127.0.0.1') });
        expect(health.body.services[service].dependencies.nats).toEqual({ status: 'ok' });
      }
    } finally {
      await t.database!.start();
    }
    const trace: string[] = [];
    const started = Date.now();
    const back = await timeUntil(async () => {
      for (const [name, call] of [['list', list], ['login', login]] as const) {
        const res = await call();
        if (res.status !== 200) {
          trace.push(`${Date.now() - started} ms: ${name} ${res.status} ${res.body?.error?.message ?? ''}`);
          return false;
        }
      }
      return true;
    });
    expect([back < 1000, trace]).toEqual([true, trace]);
    expect((await t.api('POST', '/api/projects', { token: user.token, body: { name: 'after-outage' } })).status).toBe(201);
    await eventually('health to be ok again', async () => (await t.api('GET', '/api/health')).body.status, (s) => s === 'ok', 10_000);
  });
});
