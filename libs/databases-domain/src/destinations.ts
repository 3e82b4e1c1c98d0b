import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AppError, commandMetadata, fold, type Page, type RequestContext } from '@slipway/core';
import { handleCommand, type Projection, type RecordedEvent } from '@slipway/event-store';
import {
  DESTINATION_EVENT_TYPES,
  LOCAL_DESTINATION_ID,
  destinationStreamId,
  isUuid,
  type AccessScope,
  type CreateDestinationRequest,
  type DeleteDestinationRequest,
  type DestinationCommand,
  type DestinationEvent,
  type DestinationRef,
  type DestinationTestResult,
  type DestinationView,
  type ListDestinationsRequest,
  type UpdateDestinationRequest,
} from '@slipway/databases-contracts';
import { LocalArchiveStore, S3ArchiveStore, type ArchiveStore } from './archive-store';
import type { DatabasesApplication } from './databases-app';
import { destinationDecider, evolveDestination, type DestinationData, type DestinationState } from './destination.decider';
import { normalizeDestination } from './destination-input';

export const DESTINATION_LIST = 'destination-list';

/** Destinations: the folded state of each `destination-<uuid>` stream (the secret stays ciphertext). */
export function destinationListProjection(schema: string): Projection {
  const table = `"${schema}".backup_destinations`;
  return {
    name: DESTINATION_LIST,
    handles: DESTINATION_EVENT_TYPES,
    async init(tx) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          id uuid PRIMARY KEY,
          team_id text NOT NULL,
          state jsonb NOT NULL,
          version bigint NOT NULL,
          created_at timestamptz NOT NULL,
          deleted boolean NOT NULL DEFAULT false
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS backup_destinations_team ON ${table} (team_id, created_at) WHERE NOT deleted`);
    },
    async apply(tx, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as DestinationEvent;
      const id = event.data.destinationId;
      const rows: Array<{ state: DestinationState; version: string }> = await tx.query(`SELECT state, version FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
      if (rows[0] && Number(rows[0].version) >= recorded.streamPosition) return;
      const state = evolveDestination(rows[0]?.state ?? { status: 'absent' }, event);
      if (state.status === 'absent') return;
      await tx.query(
        `INSERT INTO ${table} (id, team_id, state, version, created_at, deleted) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET state = $3, version = $4, deleted = $6`,
        [id, state.teamId, JSON.stringify(state), recorded.streamPosition, state.createdAt, state.status === 'deleted'],
      );
    },
    async reset(tx) {
      await tx.query(`TRUNCATE ${table}`);
    },
  };
}

export function destinationView(d: DestinationData, version: number): DestinationView {
  return {
    id: d.destinationId,
    teamId: d.teamId,
    name: d.name,
    type: d.config.type,
    builtIn: false,
    local: d.config.type === 'local' ? d.config.local : null,
    s3: d.config.type === 's3' ? { ...d.config.s3, secretAccessKeySet: d.secret !== null } : null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    version,
  };
}

const BUILT_IN: DestinationView = {
  id: LOCAL_DESTINATION_ID,
  teamId: null,
  name: 'local',
  type: 'local',
  builtIn: true,
  local: { path: '.' },
  s3: null,
  createdAt: null,
  updatedAt: null,
  version: 0,
};

/**
 * Backup destinations of a team (`destination-<uuid>`), and the archive
 * store behind each: the built-in `local` one (SLIPWAY_BACKUP_DIR), local
 * directories under it, and S3-compatible buckets whose secret access key
 * is encrypted with the one SecretBox before the decider sees it.
 */
export class BackupDestinations {
  private readonly stores = new Map<string, { updatedAt: string; store: ArchiveStore }>();

  constructor(private readonly app: DatabasesApplication) {}

  private get db() {
    return this.app.store.dataSource;
  }

  async create(req: CreateDestinationRequest, ctx: RequestContext): Promise<DestinationView> {
    const input = normalizeDestination(stripRequest(req), undefined);
    const destinationId = randomUUID();
    return this.execute(destinationId, ctx, undefined, {
      type: 'CreateDestination',
      data: {
        destinationId,
        teamId: req.teamId,
        name: input.name,
        config: input.config,
        secret: input.secretAccessKey !== undefined ? this.app.secrets.encrypt(input.secretAccessKey) : null,
      },
      metadata: commandMetadata(ctx, req.actorId),
    });
  }

  async update(req: UpdateDestinationRequest, ctx: RequestContext): Promise<DestinationView> {
    const current = await this.requireOwn(req);
    const input = normalizeDestination(stripRequest(req), current);
    return this.execute(current.destinationId, ctx, req.expectedVersion, {
      type: 'UpdateDestination',
      data: {
        destinationId: current.destinationId,
        name: input.name,
        config: input.config,
        secret: input.config.type === 'local' ? null : input.secretAccessKey !== undefined ? this.app.secrets.encrypt(input.secretAccessKey) : current.secret,
      },
      metadata: commandMetadata(ctx, req.actorId),
    });
  }

  async delete(req: DeleteDestinationRequest, ctx: RequestContext): Promise<{ destinationId: string }> {
    const current = await this.requireOwn(req);
    await this.app.runner.waitFor(this.app.lastAppended);
    const [used]: Array<{ n: string }> = await this.db.query(
      `SELECT count(*) AS n FROM ${this.app.table('backups')} WHERE NOT deleted AND state->'location'->>'destination' = $1`,
      [current.destinationId],
    );
    const [scheduled]: Array<{ n: string }> = await this.db.query(
      `SELECT count(*) AS n FROM ${this.app.table('databases')} WHERE deleted_at IS NULL AND state->'config'->'backupSchedule'->>'destinationId' = $1`,
      [current.destinationId],
    );
    if (Number(used.n) > 0 || Number(scheduled.n) > 0) {
      throw AppError.conflict(
        `Backup destination '${current.destinationId}' still holds ${used.n} backup(s) and ${scheduled.n} schedule(s) use it; delete those backups and change those schedules first`,
        { backups: Number(used.n), schedules: Number(scheduled.n) },
      );
    }
    await this.execute(current.destinationId, ctx, undefined, { type: 'DeleteDestination', data: { destinationId: current.destinationId }, metadata: commandMetadata(ctx, req.actorId) });
    return { destinationId: current.destinationId };
  }

  /** Writes, reads back and deletes a probe object; each step's outcome with the store's own error. */
  async test(req: DestinationRef): Promise<DestinationTestResult> {
    const key = `.slipway-probe-${randomUUID()}`;
    let steps: DestinationTestResult['steps'];
    if (req.destinationId === LOCAL_DESTINATION_ID) {
      steps = await probeStore(new LocalArchiveStore(this.app.config.backupDir), key);
    } else {
      const d = await this.requireOwn(req);
      const store = this.storeOf(d);
      try {
        steps = store instanceof S3ArchiveStore ? await store.probe(`${d.config.type === 's3' ? d.config.s3.prefix : ''}${key}`) : await probeStore(store, key);
      } finally {
        if (store instanceof S3ArchiveStore) store.close();
      }
    }
    const failed = steps.find((s) => !s.ok);
    return {
      ok: !failed,
      steps,
      message: failed ? `The destination failed the ${failed.step} of a probe object: ${failed.error}` : 'A probe object was written, read back and deleted',
    };
  }

  async get(req: DestinationRef): Promise<DestinationView> {
    if (req.destinationId === LOCAL_DESTINATION_ID) return BUILT_IN;
    const d = await this.requireOwn(req);
    const rows: Array<{ version: string }> = await this.db.query(`SELECT version FROM ${this.app.table('backup_destinations')} WHERE id = $1`, [d.destinationId]);
    return destinationView(d, Number(rows[0]?.version ?? 0));
  }

  /** Few per team: one page, the built-in one first. */
  async list(req: ListDestinationsRequest): Promise<Page<DestinationView>> {
    await this.app.runner.waitFor(this.app.lastAppended);
    const rows: Array<{ state: DestinationData; version: string }> = await this.db.query(
      `SELECT state, version FROM ${this.app.table('backup_destinations')} WHERE NOT deleted AND team_id = ANY($1::text[]) ORDER BY created_at, id LIMIT 1000`,
      [req.scope.teamIds],
    );
    const data = [BUILT_IN, ...rows.map((r) => destinationView(r.state, Number(r.version)))];
    return { data, pagination: { hasMore: false, nextCursor: null, prevCursor: null, total: data.length } };
  }

  /** The destination a new backup of a database in `teamId` goes to, and the key prefix it adds. */
  async forBackup(destinationId: string | undefined, teamId: string): Promise<{ destinationId: string; prefix: string }> {
    if (destinationId === undefined || destinationId === LOCAL_DESTINATION_ID) return { destinationId: LOCAL_DESTINATION_ID, prefix: '' };
    const d = await this.requireOwn({ destinationId, scope: { teamIds: [teamId] } });
    return { destinationId: d.destinationId, prefix: d.config.type === 's3' ? d.config.s3.prefix : '' };
  }

  /** The store an existing archive lives in (a deleted destination still reads: its backups may remain). */
  async storeFor(destinationId: string): Promise<ArchiveStore> {
    if (destinationId === LOCAL_DESTINATION_ID) return new LocalArchiveStore(this.app.config.backupDir);
    const state = await this.load(destinationId);
    if (state.status === 'absent') throw new Error(`backup destination ${destinationId} does not exist`);
    const cached = this.stores.get(destinationId);
    if (cached && cached.updatedAt === state.updatedAt) return cached.store;
    if (cached?.store instanceof S3ArchiveStore) cached.store.close();
    const store = this.storeOf(state);
    this.stores.set(destinationId, { updatedAt: state.updatedAt, store });
    return store;
  }

  /** S3 clients keep connections: one per destination version, closed when it changes or the service stops. */
  close(): void {
    for (const { store } of this.stores.values()) if (store instanceof S3ArchiveStore) store.close();
    this.stores.clear();
  }

  private storeOf(d: DestinationData): ArchiveStore {
    if (d.config.type === 'local') return new LocalArchiveStore(join(this.app.config.backupDir, d.config.local.path));
    if (d.secret === null) throw new Error(`backup destination ${d.destinationId} has no secret access key`);
    return new S3ArchiveStore(d.config.s3, this.app.secrets.decrypt(d.secret));
  }

  async load(destinationId: string): Promise<DestinationState> {
    if (!isUuid(destinationId)) return { status: 'absent' };
    const { events } = await this.app.store.readStream(destinationStreamId(destinationId));
    return fold(destinationDecider, events.map((e) => ({ type: e.type, data: e.data }) as DestinationEvent));
  }

  private async requireOwn(req: { destinationId: string; scope: AccessScope }): Promise<DestinationData> {
    const state = await this.load(req.destinationId);
    if (state.status !== 'active' || !req.scope.teamIds.includes(state.teamId)) throw AppError.notFound('backup destination', req.destinationId);
    return state;
  }

  private async execute(destinationId: string, ctx: RequestContext, expectedVersion: number | undefined, command: DestinationCommand): Promise<DestinationView> {
    const outcome = await handleCommand(this.app.store, destinationDecider, destinationStreamId(destinationId), command, {
      expectedVersion,
      requestHash: ctx.requestHash,
      result: (state: DestinationState, _events, version) => {
        if (state.status === 'absent') throw new Error('a command result was computed for a destination that does not exist');
        return destinationView(state, version);
      },
    });
    this.app.lastAppended = Math.max(this.app.lastAppended, outcome.position);
    return outcome.result;
  }
}

function stripRequest<T extends object>(req: T): Record<string, unknown> {
  const { actorId: _a, teamId: _t, scope: _s, destinationId: _d, expectedVersion: _v, ...rest } = req as Record<string, unknown>;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
}

async function probeStore(store: ArchiveStore, key: string): Promise<DestinationTestResult['steps']> {
  const steps: DestinationTestResult['steps'] = [];
  const content = Buffer.from(`slipway probe ${key}`);
  try {
    const { sink, done } = store.writer(key);
    sink.end(content);
    await done;
    await store.commit(key);
    steps.push({ step: 'write', ok: true });
  } catch (err) {
    steps.push({ step: 'write', ok: false, error: (err as Error).message });
    return steps;
  }
  try {
    const { data } = await store.range(key, 0, content.length + 1);
    if (!data.equals(content)) throw new Error('the probe read back differs from what was written');
    steps.push({ step: 'read', ok: true });
  } catch (err) {
    steps.push({ step: 'read', ok: false, error: (err as Error).message });
  }
  try {
    await store.remove(key);
    steps.push({ step: 'delete', ok: true });
  } catch (err) {
    steps.push({ step: 'delete', ok: false, error: (err as Error).message });
  }
  return steps;
}
