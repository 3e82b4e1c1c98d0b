import { AppError } from '@slipway/core';
import type { DatabaseConnection, DatabaseView } from '@slipway/databases-contracts';
import { CreateDatabaseDto, UpdateDatabaseDto } from '../databases/databases.dto';
import { NO_REPLY, mutation, query, type Backend, type Call, type Procedure } from './backend';
import { placeOf } from './environments';
import { optionalNumber, optionalString, optionalText, requiredString } from './input';
import { DB_KINDS, presentDatabase, type DbKind } from './shapes';

/** The tag of Dokploy's default image per kind, used as the version when no dockerImage is given. */
const DEFAULT_VERSION: Record<DbKind, string> = { postgres: '15', mysql: '8', mariadb: '11', mongo: '6', redis: '7' };

/** postgres|mysql|mariadb|mongo|redis .*: /api/databases and its actions, each router limited to its own kind. */
export const DATABASE_PROCEDURES: Record<string, Procedure> = Object.fromEntries(
  (Object.keys(DB_KINDS) as DbKind[]).flatMap((kind) => Object.entries(proceduresFor(kind)).map(([name, p]) => [`${kind}.${name}`, p])),
);

function proceduresFor(kind: DbKind): Record<string, Procedure> {
  const idField = DB_KINDS[kind].id;
  const idOf = (call: Call) => requiredString(call.input, idField);

  /** A database of another kind is not found here, as in Dokploy where each kind has its own table. */
  const read = async (b: Backend, call: Call): Promise<DatabaseView> => {
    const db = (await b.databases.get(idOf(call), call.user, call.req, NO_REPLY)) as unknown as DatabaseView;
    if (db.type !== DB_KINDS[kind].type) throw new AppError('RESOURCE_NOT_FOUND', `${kind} '${idOf(call)}' not found`);
    return db;
  };

  return {
    create: mutation(async (b, call) => {
      const place = await placeOf(b, call);
      const image = optionalText(call.input, 'dockerImage', 300);
      const credentials = {
        username: optionalText(call.input, 'databaseUser', 100),
        password: optionalText(call.input, 'databasePassword', 200),
        databaseName: optionalText(call.input, 'databaseName', 100),
      };
      const body = await b.dto(CreateDatabaseDto, {
        name: optionalText(call.input, 'appName', 200) ?? requiredString(call.input, 'name'),
        type: DB_KINDS[kind].type,
        // An explicit image is run as given and its tag only recorded as the version (Slipway's rule for `image`).
        version: image ? tagOf(image) : DEFAULT_VERSION[kind],
        projectId: place.projectId,
        environmentId: place.environmentId,
        image,
        externalPort: optionalNumber(call.input, 'externalPort'),
        credentials: Object.values(credentials).some((v) => v !== undefined) ? stripUndefined(credentials) : undefined,
      });
      return presentDatabase((await b.databases.create(body, call.user, call.req, NO_REPLY)) as unknown as DatabaseView);
    }),

    one: query(async (b, call) => {
      const db = await read(b, call);
      return presentDatabase(db, await password(b, call, db));
    }),

    deploy: mutation(async (b, call) => {
      const db = await read(b, call);
      await b.databases.start(db.id, call.user, call.req);
      return presentDatabase(await read(b, call));
    }),

    start: mutation(async (b, call) => {
      const db = await read(b, call);
      await b.databases.start(db.id, call.user, call.req);
      return presentDatabase(await read(b, call));
    }),

    stop: mutation(async (b, call) => {
      const db = await read(b, call);
      await b.databases.stop(db.id, call.user, call.req);
      return presentDatabase(await read(b, call));
    }),

    reload: mutation(async (b, call) => {
      const db = await read(b, call);
      await b.databases.restart(db.id, call.user, call.req);
      return true;
    }),

    remove: mutation(async (b, call) => {
      const db = await read(b, call);
      await b.databases.remove(db.id, { deleteVolumes: false, deleteBackups: false } as never, call.user, call.req);
      return presentDatabase(db);
    }),

    update: mutation(async (b, call) => {
      const db = await read(b, call);
      const patch: Record<string, unknown> = {};
      const image = optionalText(call.input, 'dockerImage', 300);
      if (image !== undefined && image !== db.image) patch.image = image;
      if ('externalPort' in call.input) patch.externalPort = optionalNumber(call.input, 'externalPort') ?? null;
      const memoryLimit = optionalNumber(call.input, 'memoryLimit');
      if (memoryLimit !== undefined) patch.resources = { memoryLimit };
      if (Object.keys(patch).length > 0) await b.databases.update(db.id, await b.dto(UpdateDatabaseDto, patch), call.user, call.req, NO_REPLY);
      return true;
    }),

    saveEnvironment: mutation(async (b, call) => {
      await read(b, call);
      // Slipway's databases take typed settings (configuration), not free environment variables.
      if ((optionalString(call.input, 'env') ?? '').trim() !== '') {
        throw new AppError('UNPROCESSABLE_ENTITY', `Slipway databases take no environment variables; set their configuration with PATCH /api/databases/{id}`, { field: 'env' });
      }
      return true;
    }),
  };
}

function tagOf(image: string): string {
  const name = image.split('@')[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return (colon > slash ? name.slice(colon + 1) : 'latest').slice(0, 32);
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Dokploy's `<db>.one` returns the password; Slipway shows it only to roles
 * that may write databases, through the audited /connection. Others get the
 * row without it, as every other procedure answers.
 */
async function password(b: Backend, call: Call, db: DatabaseView): Promise<{ databasePassword: string } | undefined> {
  try {
    const connection = (await b.databases.connection(db.id, call.user, call.req, NO_REPLY)) as DatabaseConnection;
    return { databasePassword: connection.password };
  } catch (e) {
    if (e instanceof AppError && e.code === 'FORBIDDEN') return undefined;
    throw e;
  }
}
