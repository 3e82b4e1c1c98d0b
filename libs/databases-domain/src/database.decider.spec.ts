import { deciderSpec, type CommandMetadata } from '@slipway/core';
import type { CreateDatabase, DatabaseEvent } from '@slipway/databases-contracts';
import { databaseDecider, evolveDatabase, initialDatabaseState } from './database.decider';

const meta = (now = '2026-01-01T00:00:00.000Z'): CommandMetadata => ({ commandId: 'c1', now, actorId: 'u1' });
const id = '6f1c0a2b-0000-4000-8000-000000000001';
const create: CreateDatabase['data'] = {
  databaseId: id,
  projectId: 'p1',
  environmentId: 'e1',
  teamId: 't1',
  ownerId: 'u1',
  name: 'main-db',
  type: 'postgresql',
  serviceName: 'db-main-db-6f1c0a2b',
  credentials: { username: 'app', password: 'enc:v1:xyz', databaseName: 'app' },
  version: '16',
  image: 'postgres:16',
  imageOverridden: false,
  resources: { memoryLimit: 256, storageSize: null },
  configuration: { maxConnections: 50 },
  externalPort: null,
};
const created: DatabaseEvent = { type: 'DatabaseCreated', data: { ...create, createdAt: '2026-01-01T00:00:00.000Z' } };
const spec = deciderSpec(databaseDecider);

describe('database decider', () => {
  it('given nothing, when created, then DatabaseCreated with the project and a pending status', () => {
    const events = spec.given([]).when({ type: 'CreateDatabase', data: create, metadata: meta() }).events();
    expect(events).toEqual([created]);
    const state = evolveDatabase(initialDatabaseState(), events[0]);
    expect(state).toMatchObject({ status: 'active', runtime: { status: 'pending', message: null }, stopped: false });
  });

  it('given a database, when updated with the same values, then nothing; with new ones, only what changed', () => {
    const same = spec.given([created]).when({ type: 'UpdateDatabase', data: { databaseId: id, changes: { configuration: { maxConnections: 50 } } }, metadata: meta() });
    expect(same.events()).toEqual([]);
    const changed = spec.given([created]).when({
      type: 'UpdateDatabase',
      data: { databaseId: id, changes: { configuration: { maxConnections: 80 }, externalPort: null } },
      metadata: meta('2026-01-02T00:00:00.000Z'),
    });
    expect(changed.events()).toEqual([
      { type: 'DatabaseUpdated', data: { databaseId: id, projectId: 'p1', changes: { configuration: { maxConnections: 80 } }, updatedAt: '2026-01-02T00:00:00.000Z' } },
    ]);
  });

  it('stops and starts idempotently, and refuses a restart while stopped', () => {
    const stopped: DatabaseEvent = { type: 'DatabaseStopped', data: { databaseId: id, stoppedAt: 'x' } };
    expect(spec.given([created, stopped]).when({ type: 'StopDatabase', data: { databaseId: id }, metadata: meta() }).events()).toEqual([]);
    expect(spec.given([created]).when({ type: 'StartDatabase', data: { databaseId: id }, metadata: meta() }).events()).toEqual([]);
    expect(spec.given([created, stopped]).when({ type: 'RestartDatabase', data: { databaseId: id }, metadata: meta() }).error().code).toBe('CONFLICT');
    expect(spec.given([created]).when({ type: 'RestartDatabase', data: { databaseId: id }, metadata: meta() }).events()[0]).toMatchObject({ data: { restartCount: 1 } });
  });

  it('records a reveal of the credentials without the password', () => {
    const [event] = spec.given([created]).when({ type: 'RevealCredentials', data: { databaseId: id }, metadata: meta() }).events();
    expect(event).toEqual({ type: 'DatabaseCredentialsRevealed', data: { databaseId: id, projectId: 'p1', revealedAt: '2026-01-01T00:00:00.000Z' } });
    expect(JSON.stringify(event)).not.toContain('enc:v1');
  });

  it('deletes once with projectId (for the project counts); a second delete records nothing; then it does not exist', () => {
    const [deleted] = spec.given([created]).when({ type: 'DeleteDatabase', data: { databaseId: id, deleteVolumes: true, deleteBackups: false }, metadata: meta() }).events();
    expect(deleted).toMatchObject({ type: 'DatabaseDeleted', data: { databaseId: id, projectId: 'p1', environmentId: 'e1', deleteVolumes: true, deleteBackups: false } });
    expect(spec.given([created, deleted]).when({ type: 'DeleteDatabase', data: { databaseId: id, deleteVolumes: true, deleteBackups: false }, metadata: meta() }).events()).toEqual([]);
    expect(spec.given([created, deleted]).when({ type: 'StopDatabase', data: { databaseId: id }, metadata: meta() }).error().code).toBe('RESOURCE_NOT_FOUND');
  });

  it('records runtime observations only when they change', () => {
    const observe = (status: 'running' | 'error', message: string | null) => ({ type: 'RecordDatabaseRuntime' as const, data: { databaseId: id, status, message }, metadata: meta() });
    const [running] = spec.given([created]).when(observe('running', null)).events();
    expect(running).toMatchObject({ type: 'DatabaseRuntimeObserved', data: { status: 'running' } });
    expect(spec.given([created, running]).when(observe('running', null)).events()).toEqual([]);
    expect(spec.given([created, running]).when(observe('error', 'No such image')).events()).toHaveLength(1);
  });
});
