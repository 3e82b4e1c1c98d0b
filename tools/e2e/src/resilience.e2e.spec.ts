import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '@slipway/cli';
import { DATABASE_URL, startTestPlatform, type TestPlatform } from './harness';

let t: TestPlatform;
let user: { token: string; userId: string };

beforeAll(async () => {
  t = await startTestPlatform();
  user = await t.user();
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('resilience', () => {
  it('answers 503 fast while the projects service is down, and recovers by itself', async () => {
    const before = await t.api('POST', '/api/projects', { token: user.token, body: { name: `before-outage-${randomUUID().slice(0, 8)}` } });
    expect(before.status).toBe(201);
    // Published (the outbox relay runs in the projects service) before the service dies.
    const seenBefore = async () => (await t.api('GET', `/api/projects/${before.body.id}`, { token: user.token })).status === 200;
    for (let i = 0; i < 50 && !(await seenBefore()); i++) await new Promise((r) => setTimeout(r, 100));
    await t.kill('projects');
    const started = Date.now();
    const down = await t.api('POST', '/api/projects', { token: user.token, body: { name: `during-outage-${randomUUID().slice(0, 8)}` } });
    const elapsed = Date.now() - started;
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(down.headers.get('retry-after')).toBeTruthy();
    // The contract's bound is one second; anything near the 5 s request timeout means a hang.
    expect(elapsed).toBeLessThan(1000);
    // The gateway still serves the others: degraded, not down.
    const health = await t.api('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.services.projects.status).toBe('unavailable');
    expect(health.body.services.identity.status).toBe('ok');
    // Hot reads come from the gateway's read model: they keep answering, with what was written before.
    const read = await t.api('GET', '/api/projects', { token: user.token });
    expect(read.status).toBe(200);
    expect(read.body.data.map((p: { id: string }) => p.id)).toContain(before.body.id);

    await t.restart('projects');
    let status = 0;
    for (let i = 0; i < 50 && status !== 201; i++) {
      status = (await t.api('POST', '/api/projects', { token: user.token, body: { name: `after-outage-${i}-${randomUUID().slice(0, 8)}` } })).status;
      if (status !== 201) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(201);
  });

  it('loses no acknowledged project and duplicates none when the service is killed -9 during 500 creates', async () => {
    const total = 500;
    const concurrency = 50;
    const requests = Array.from({ length: total }, (_, i) => ({ name: `crash-${String(i).padStart(3, '0')}`, key: randomUUID() }));
    const acknowledged = new Map<string, string>(); // name → id
    const failed: typeof requests = [];
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (next < requests.length) {
        const r = requests[next++];
        if (!killed && next > total / 3) {
          killed = true;
          void t.kill('projects');
        }
        const res = await t.api('POST', '/api/projects', { token: user.token, body: { name: r.name }, headers: { 'idempotency-key': r.key } });
        if (res.status === 201) acknowledged.set(r.name, res.body.id);
        else failed.push(r);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    expect(killed).toBe(true);
    expect(failed.length).toBeGreaterThan(0);

    await t.restart('projects');
    // Clients retry what failed with the same Idempotency-Key: each becomes exactly one project.
    for (const r of failed) {
      let res;
      for (let attempt = 0; attempt < 20; attempt++) {
        res = await t.api('POST', '/api/projects', { token: user.token, body: { name: r.name }, headers: { 'idempotency-key': r.key } });
        if (res.status === 201) break;
        await new Promise((s) => setTimeout(s, 250));
      }
      expect(res!.status).toBe(201);
      acknowledged.set(r.name, res!.body.id);
    }

    const listed = new Map<string, string>();
    let cursor: string | null = null;
    do {
      const page: any = await t.api('GET', `/api/projects?limit=100&sort=name&order=asc&search=crash-${cursor ? `&cursor=${cursor}` : ''}`, { token: user.token });
      expect(page.status).toBe(200);
      for (const p of page.body.data) {
        expect(listed.has(p.name)).toBe(false);
        listed.set(p.name, p.id);
      }
      cursor = page.body.pagination.nextCursor;
    } while (cursor);
    expect(listed.size).toBe(total);
    for (const [name, id] of acknowledged) expect(listed.get(name)).toBe(id);
    const [{ count }] = await t.sql(`SELECT count(*)::int AS count FROM "${t.schemaPrefix}projects".events WHERE type = 'ProjectCreated' AND data->>'name' LIKE 'crash-%'`);
    expect(count).toBe(total);
  });

  it('rebuilds a dropped read model from the events with identical rows', async () => {
    const snapshot = () => t.sql(`SELECT * FROM "${t.schemaPrefix}projects".projects ORDER BY id`);
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(0);
    await t.sql(`DROP TABLE "${t.schemaPrefix}projects".projects`);

    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'tools/cli/dist/replay.js'), 'projects', 'project-list'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL, SLIPWAY_SCHEMA_PREFIX: t.schemaPrefix },
    });
    expect(stdout).toContain('rebuilt projects/project-list');
    expect(await snapshot()).toEqual(before);
  });

  it('publishes every event to JetStream with the event id as Nats-Msg-Id', async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: t.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const [{ count }] = await t.sql(`SELECT count(*)::int AS count FROM "${t.schemaPrefix}projects".events`);
      const projects = `${t.instance}.events.projects`;
      let info = await jsm.streams.info(t.eventsStream, { subjects_filter: `${projects}.>` });
      for (let i = 0; i < 50 && (info.state.subjects?.[`${projects}.ProjectCreated`] ?? 0) < 500; i++) {
        await new Promise((r) => setTimeout(r, 200));
        info = await jsm.streams.info(t.eventsStream, { subjects_filter: `${projects}.>` });
      }
      const published = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
      expect(published).toBe(count);
      const msg = await jsm.streams.getMessage(t.eventsStream, { seq: 1 });
      const event = msg!.json<{ eventId: string }>();
      expect(msg!.header.get('Nats-Msg-Id')).toBe(event.eventId);
    } finally {
      await nc.close();
    }
  });
});
