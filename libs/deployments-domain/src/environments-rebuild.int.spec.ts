import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { defaultEnvironmentId } from '@slipway/core';
import { createDataSource, EventStore, initProjection, rebuildProjection } from '@slipway/event-store';
import { APPLICATION_UPCASTERS, applicationStreamId } from '@slipway/deployments-contracts';
import { applicationListProjection } from './projections';

/**
 * Applications written before environments existed (ApplicationCreated v1)
 * belong to their project's default environment: a rebuild from zero gives
 * it them through the upcaster, and a read model folded before the upgrade
 * gets the same by the projection's init (backfill), without a rebuild.
 */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
let ds: DataSource;
const schemas: string[] = [];

beforeAll(async () => {
  ds = await createDataSource(DATABASE_URL, { poolSize: 3, applicationName: 'deployments-environments-int' });
});
afterAll(async () => {
  for (const schema of schemas) await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await ds.destroy();
});

const v1Created = (applicationId: string, projectId: string) => ({
  type: 'ApplicationCreated',
  schemaVersion: 1,
  data: {
    applicationId,
    projectId,
    teamId: 't-1',
    ownerId: 'u-1',
    name: 'legacy',
    serviceName: `legacy-${applicationId.slice(0, 8)}`,
    image: 'nginx:1.27',
    gitSource: null,
    replicas: 1,
    envVars: [],
    ports: [],
    volumes: [],
    healthCheck: null,
    resources: { memoryLimit: null, cpuLimit: null },
    createdAt: '2025-06-01T00:00:00.000Z',
  },
});

it('gives v1 applications their project default environment on a rebuild, and backfills an older read model', async () => {
  const schema = `deployments_env_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  const store = await EventStore.open({ dataSource: ds, schema, upcasters: APPLICATION_UPCASTERS });
  const projectId = randomUUID();
  const applicationId = randomUUID();
  await store.append(applicationStreamId(applicationId), 'no_stream', [v1Created(applicationId, projectId)]);
  const projection = applicationListProjection(schema);
  const table = `"${schema}".applications`;

  await rebuildProjection(store, projection);
  const [row] = await ds.query(`SELECT environment_id, state FROM ${table} WHERE id = $1`, [applicationId]);
  expect(row.environment_id).toBe(defaultEnvironmentId(projectId));
  expect(row.state.environmentId).toBe(defaultEnvironmentId(projectId));

  // A row as a read model folded before environments holds it: no column value, no state field.
  await ds.query(`UPDATE ${table} SET environment_id = NULL, state = state - 'environmentId'`);
  await initProjection(store, projection);
  const [backfilled] = await ds.query(`SELECT environment_id, state FROM ${table} WHERE id = $1`, [applicationId]);
  expect(backfilled.environment_id).toBe(defaultEnvironmentId(projectId));
  expect(backfilled.state.environmentId).toBe(defaultEnvironmentId(projectId));

  // The delete of a v1 stream is upcast too (the projects service counts per environment from it).
  await store.append(applicationStreamId(applicationId), 1, [
    { type: 'ApplicationDeleted', schemaVersion: 1, data: { applicationId, projectId, ownerId: 'u-1', deleteVolumes: false, deletedAt: '2025-06-03T00:00:00.000Z' } },
  ]);
  const { events } = await store.readStream(applicationStreamId(applicationId));
  expect(events.map((e) => [e.type, e.schemaVersion, e.data.environmentId])).toEqual([
    ['ApplicationCreated', 2, defaultEnvironmentId(projectId)],
    ['ApplicationDeleted', 2, defaultEnvironmentId(projectId)],
  ]);
});
