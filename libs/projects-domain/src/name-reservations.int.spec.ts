import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { RequestContext } from '@slipway/core';
import { createDataSource, EventStore } from '@slipway/event-store';
import { PROJECT_UPCASTERS } from '@slipway/projects-contracts';
import { ProjectsApplication } from './projects-app';

/** Project names are reserved in the append call itself (the event store's reservations). */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
let ds: DataSource;
const schemas: string[] = [];
const apps: ProjectsApplication[] = [];

beforeAll(async () => {
  ds = await createDataSource(DATABASE_URL, { poolSize: 8, applicationName: 'projects-names-int' });
});
afterAll(async () => {
  for (const app of apps) await app.stop().catch(() => undefined);
  for (const schema of schemas) await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await ds.destroy();
});

const ctx = (commandId = randomUUID()): RequestContext => ({ requestId: commandId, commandId });
const actorId = randomUUID();

async function startApp(schema: string): Promise<ProjectsApplication> {
  const store = await EventStore.open({ dataSource: ds, schema, upcasters: PROJECT_UPCASTERS });
  const app = new ProjectsApplication(store);
  apps.push(app);
  await app.start();
  return app;
}

function newSchema(): string {
  const schema = `projects_names_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

it('given names taken before, when creates, renames, moves and deletes run, then a name is unique per team, case-insensitively', async () => {
  const app = await startApp(newSchema());
  const team = randomUUID();
  const other = randomUUID();
  const scope = { teamIds: [team, other] };
  const web = await app.create({ actorId, teamId: team, name: 'Web', description: null }, ctx());
  await expect(app.create({ actorId, teamId: team, name: 'web', description: null }, ctx())).rejects.toMatchObject({
    code: 'CONFLICT',
    details: { field: 'name', teamId: team },
  });
  // Another team may use it; a move into the first team may not.
  const there = await app.create({ actorId, teamId: other, name: 'WEB', description: null }, ctx());
  await expect(app.update({ actorId, scope, projectId: there.id, teamId: team }, ctx())).rejects.toMatchObject({ code: 'CONFLICT' });
  // A rename frees the old name, a delete frees the new one.
  await app.update({ actorId, scope, projectId: web.id, name: 'api' }, ctx());
  await app.create({ actorId, teamId: team, name: 'web', description: null }, ctx());
  await app.delete({ actorId, scope, projectId: web.id }, ctx());
  await app.create({ actorId, teamId: team, name: 'API', description: null }, ctx());
});

it('given concurrent creates of one name, then exactly one wins and the others are 409s', async () => {
  const app = await startApp(newSchema());
  const team = randomUUID();
  const outcomes = await Promise.allSettled(
    Array.from({ length: 12 }, () => app.create({ actorId, teamId: team, name: 'same', description: null }, ctx())),
  );
  expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'CONFLICT', details: { field: 'name' } });
});

it('given a store whose names live in the old project_names table, when the service starts, then they move to the reservations and still hold', async () => {
  const schema = newSchema();
  await EventStore.open({ dataSource: ds, schema, upcasters: PROJECT_UPCASTERS });
  const team = randomUUID();
  await ds.query(`CREATE TABLE "${schema}".project_names (team_id text NOT NULL, name_key text NOT NULL, project_id uuid NOT NULL UNIQUE, PRIMARY KEY (team_id, name_key))`);
  await ds.query(`INSERT INTO "${schema}".project_names VALUES ($1, 'legacy', $2)`, [team, randomUUID()]);

  const app = await startApp(schema);
  expect((await ds.query(`SELECT to_regclass($1) AS t`, [`"${schema}".project_names`]))[0].t).toBeNull();
  await expect(app.create({ actorId, teamId: team, name: 'Legacy', description: null }, ctx())).rejects.toMatchObject({ code: 'CONFLICT' });
  await app.create({ actorId, teamId: team, name: 'fresh', description: null }, ctx());
});

it('given a replayed create (same command id), then it answers the first project and reserves nothing more', async () => {
  const app = await startApp(newSchema());
  const team = randomUUID();
  const c = ctx();
  const first = await app.create({ actorId, teamId: team, name: 'once', description: null }, c);
  const again = await app.create({ actorId, teamId: team, name: 'once', description: null }, c);
  expect(again.id).toBe(first.id);
});
