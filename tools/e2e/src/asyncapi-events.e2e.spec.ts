import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { cleanEngine, engine, ensureSiteImage, until } from './docker-fixtures';
import { TEST_DATABASE_IMAGES, cleanDatabases, requireDatabaseImages } from './database-fixtures';

/**
 * Issue 10 item 6: what an integration really receives on the platform's
 * NATS subjects matches the message schemas of the served AsyncAPI document
 * (generated from the contracts' types), secrets stripped included.
 */
let t: TestPlatform;
let docker: DockerClient;
let owner: { token: string; userId: string };
const logs: string[] = [];

beforeAll(async () => {
  docker = await engine();
  await requireDatabaseImages(docker);
  t = await startTestPlatform(logs, { SLIPWAY_DATABASE_IMAGES: TEST_DATABASE_IMAGES, SLIPWAY_DEPLOY_STABLE_MS: '1000' });
  owner = await t.user();
}, 180_000);

// The platform stops first: its reconcilers would recreate services removed under them.
afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  if (t) await cleanDatabases(docker, t.instance).catch(() => undefined);
  docker?.close();
}, 120_000);

const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: owner.token, body });

interface Received {
  subject: string;
  event: any;
}

type Channel = { address: string; messages: Record<string, { $ref: string }> };

/** subject → a validator of the payload of the message the document gives that channel. */
function validatorsOf(doc: any): Map<string, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const validators = new Map<string, ValidateFunction>();
  for (const channel of Object.values(doc.channels as Record<string, Channel>)) {
    const ref = Object.values(channel.messages)[0].$ref; // #/components/messages/<key>
    const message = doc.components.messages[ref.split('/').pop()!];
    validators.set(channel.address, ajv.compile(message.payload));
  }
  return validators;
}

describe('events received on NATS', () => {
  it('each match its message schema in /api/asyncapi.json, and the schemas are strict enough to notice a missing or extra field', async () => {
    const served = await t.api('GET', '/api/asyncapi.json');
    expect(served.status).toBe(200);
    const doc = served.body;
    const validators = validatorsOf(doc);

    // An integration's view: a consumer of its own on every public subject, from the start.
    const { connect } = await import('@nats-io/transport-node');
    const { jetstream } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: t.natsUrl });
    const received: Received[] = [];
    try {
      const consumer = await jetstream(nc).consumers.get(t.eventsStream, { filter_subjects: `${t.instance}.events.>` });
      const messages = await consumer.consume();
      const reading = (async () => {
        for await (const m of messages) received.push({ subject: m.subject, event: m.json() });
      })();

      const team = await api('POST', '/api/teams', { name: 'Integrators' });
      expect(team.status).toBe(201);
      const project = await api('POST', '/api/projects', { name: 'integrated', description: 'watched by an integration', teamId: team.body.id });
      expect(project.status).toBe(201);
      const projectId = project.body.id as string;
      expect((await api('PATCH', `/api/projects/${projectId}`, { description: 'still watched' })).status).toBe(200);
      expect((await api('POST', `/api/projects/${projectId}/environments`, { name: 'staging' })).status).toBe(201);

      const app = await api('POST', '/api/applications', {
        name: 'watched-site',
        projectId,
        image: await ensureSiteImage(docker),
        ports: [{ containerPort: 8080 }],
        envVars: [{ key: 'API_TOKEN', value: 'plain-secret-value', isSecret: true }],
      });
      expect(app.status).toBe(201);
      const patched = await api('PATCH', `/api/applications/${app.body.id}`, { envVars: [{ key: 'OTHER_TOKEN', value: 'another-secret-value', isSecret: true }] });
      expect(patched.status).toBe(200);
      const deploy = await api('POST', `/api/applications/${app.body.id}/deploy`, {});
      expect(deploy.status).toBe(202);
      // A git source with a webhook secret: the published event must carry only webhookSecretSet.
      const gitApp = await api('POST', '/api/applications', {
        name: 'watched-git',
        projectId,
        gitSource: { repoUrl: 'https://github.com/slipway-example/site.git', branch: 'main', webhookSecret: 'a-webhook-secret-of-32-characters!!' },
      });
      expect(gitApp.status).toBe(201);
      const db = await api('POST', '/api/databases', { name: 'watched-db', type: 'postgresql', version: '15', projectId, credentials: { username: 'watcher', databaseName: 'watched' } });
      expect(db.status).toBe(201);
      await until('the deployment to succeed', async () => (await api('GET', `/api/deployments/${deploy.body.deploymentId}`)).body.status === 'success', 120_000);
      expect((await api('DELETE', `/api/databases/${db.body.id}`)).status).toBeLessThan(300);

      const expected = [
        'identity.TeamCreated',
        'projects.ProjectCreated',
        'projects.ProjectUpdated',
        'projects.EnvironmentCreated',
        'deployments.ApplicationCreated',
        'deployments.ApplicationUpdated',
        'deployments.DeploymentCreated',
        'deployments.DeploymentStarted',
        'deployments.DeploymentSucceeded',
        'databases.DatabaseCreated',
        'databases.DatabaseDeleted',
      ].map((key) => `${t.instance}.events.${key}`);
      await until('every event of those flows on NATS', async () => expected.every((s) => received.some((r) => r.subject === s)), 60_000);
      await messages.close();
      await reading;
    } finally {
      await nc.close();
    }

    const documented = received.filter((r) => validators.has(r.subject));
    const failures = documented
      .map((r) => ({ subject: r.subject, ok: validators.get(r.subject)!(r.event), errors: validators.get(r.subject)!.errors }))
      .filter((f) => !f.ok);
    expect(failures).toEqual([]);
    expect(documented.filter((r) => r.subject.endsWith('.ApplicationCreated'))).toHaveLength(2);
    const wire = JSON.stringify(received);
    expect(wire).not.toMatch(/plain-secret-value|another-secret-value|a-webhook-secret-of-32|"password"|"webhookSecret"/);
    const gitCreated = documented.find((r) => r.subject.endsWith('.ApplicationCreated') && r.event.data.gitSource)!;
    expect(gitCreated.event.data.gitSource.webhookSecretSet).toBe(true);

    // The schemas have teeth: a received event loses a required field, or its
    // schema loses a declared field (the data object is closed) → invalid.
    const created = documented.find((r) => r.subject.endsWith('.DeploymentSucceeded'))!;
    const validate = validators.get(created.subject)!;
    const { durationMs: _durationMs, ...withoutRequired } = created.event.data;
    expect(validate({ ...created.event, data: withoutRequired })).toBe(false);
    expect(validate({ ...created.event, data: { ...created.event.data, secret: 'x' } })).toBe(false);
    const key = 'deployments.DeploymentSucceeded';
    const narrowed = structuredClone(doc.components.messages[key].payload);
    expect(narrowed.properties.data.additionalProperties).toBe(false);
    delete narrowed.properties.data.properties.image;
    narrowed.properties.data.required = narrowed.properties.data.required.filter((f: string) => f !== 'image');
    const strictAjv = new Ajv({ allErrors: true, allowUnionTypes: true });
    addFormats(strictAjv);
    expect(strictAjv.compile(narrowed)(created.event)).toBe(false);
    expect(strictAjv.compile(doc.components.messages[key].payload)(created.event)).toBe(true);
  }, 300_000);
});
