import { randomBytes } from 'node:crypto';
import type { DockerClient } from '@slipway/docker';
import { startNats, startTestPlatform, type TestPlatform } from './harness';
import { cleanEngine, engine, ensureSiteImage, until } from './docker-fixtures';

/**
 * Two installations side by side on ONE NATS server and one Docker engine,
 * with the same schema names in two databases — the case where, without
 * instance names, each answered the other's requests and each reconciler
 * removed the other's services.
 */
let nats: { url: string; stop(): Promise<void> };
let a: TestPlatform;
let b: TestPlatform;
let docker: DockerClient;
let siteImage: string;
const PASSWORD = 'correct-horse-battery';

beforeAll(async () => {
  docker = await engine();
  siteImage = await ensureSiteImage(docker);
  nats = await startNats();
  const env = { SLIPWAY_RECONCILE_INTERVAL_MS: '500', SLIPWAY_DEPLOY_STABLE_MS: '500' };
  a = await startTestPlatform([], env, { natsUrl: nats.url });
  b = await startTestPlatform([], env, { natsUrl: nats.url, schemaPrefix: a.schemaPrefix, database: `e2e_other_${randomBytes(4).toString('hex')}` });
}, 240_000);

afterAll(async () => {
  for (const p of [a, b]) if (p) await cleanEngine(docker, p.instance).catch(() => undefined);
  await a?.stop();
  await b?.stop();
  await nats?.stop();
  docker?.close();
});

const register = async (t: TestPlatform, username: string) => {
  const res = await t.api('POST', '/api/auth/register', { body: { username, email: `${username}@example.com`, password: PASSWORD } });
  expect([res.status, res.body]).toEqual([201, expect.anything()]);
  const login = await t.api('POST', '/api/auth/login', { body: { username, password: PASSWORD } });
  return { token: login.body.token as string, userId: login.body.user.id as string };
};

describe('two installations on one NATS server and one engine', () => {
  it('have different instance names, streams and schemas of the same name in different databases', () => {
    expect(a.schemaPrefix).toBe(b.schemaPrefix);
    expect(a.instance).not.toBe(b.instance);
    expect(a.eventsStream).not.toBe(b.eventsStream);
  });

  it('never answer each other\'s logins', async () => {
    // The same username on both, and one only on A.
    const twin = `twin${randomBytes(3).toString('hex')}`;
    const onlyA = `solo${randomBytes(3).toString('hex')}`;
    const twinA = await register(a, twin);
    const twinB = await register(b, twin);
    expect(twinA.userId).not.toBe(twinB.userId);
    await register(a, onlyA);
    const login = async (t: TestPlatform, username: string) => {
      const res = await t.api('POST', '/api/auth/login', { body: { username, password: PASSWORD } });
      return res.status === 200 ? res.body.user.id : `${res.status} ${JSON.stringify(res.body)}`;
    };
    // Before instance names, about half of these were answered by the other installation's identity service.
    // One after another: password hashing is meant to be slow, and a burst would time out on a loaded machine.
    const onA: string[] = [];
    const onB: string[] = [];
    const soloOnB: string[] = [];
    for (let i = 0; i < 12; i++) {
      onA.push(await login(a, twin));
      onB.push(await login(b, twin));
      // Fewer than the login throttle's failures per account.
      if (i < 5) soloOnB.push(await login(b, onlyA));
    }
    expect(onA).toEqual(Array(12).fill(twinA.userId));
    expect(onB).toEqual(Array(12).fill(twinB.userId));
    for (const r of soloOnB) expect(r).toMatch(/^401 /);
  });

  it('a reconciler never removes the other installation\'s services', async () => {
    const deploy = async (t: TestPlatform, name: string) => {
      const user = await register(t, `${name}${randomBytes(3).toString('hex')}`);
      const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: user.token, body });
      const project = await api('POST', '/api/projects', { name: `${name}-project` });
      expect([project.status, project.body]).toEqual([201, expect.anything()]);
      const created = await api('POST', '/api/applications', { name, projectId: project.body.id, image: siteImage, ports: [{ containerPort: 8080 }] });
      expect([created.status, created.body]).toEqual([201, expect.anything()]);
      const app = created.body;
      expect(app.serviceName.startsWith(`${t.instance}-`)).toBe(true);
      const accepted = (await api('POST', `/api/applications/${app.id}/deploy`, {})).body;
      await until(`${name} to be deployed`, async () => (await api('GET', `/api/deployments/${accepted.deploymentId}`)).body.status === 'success', 120_000);
      return { app, api };
    };
    const onA = await deploy(a, 'keep');
    const onB = await deploy(b, 'gone');
    // B deletes its application; once its reconciler has removed that service, it has swept the engine.
    expect((await onB.api('DELETE', `/api/applications/${onB.app.id}`)).status).toBeLessThan(300);
    await until('B to remove its own service', async () => (await docker.inspectService(onB.app.serviceName)) === undefined, 60_000);
    // A few more sweeps of B's, bounded by B's own observable work: a second delete.
    const again = await deploy(b, 'again');
    expect((await again.api('DELETE', `/api/applications/${again.app.id}`)).status).toBeLessThan(300);
    await until('B to remove its second service', async () => (await docker.inspectService(again.app.serviceName)) === undefined, 60_000);

    expect(await docker.inspectService(onA.app.serviceName)).toBeDefined();
    const app = (await onA.api('GET', `/api/applications/${onA.app.id}`)).body;
    expect(app.status).toBe('running');
  });
});
