import createClient, { type Client } from 'openapi-fetch';
import { SlipwayError } from './errors';
import { LogStream } from './events';
import type { components, operations, paths } from './generated/schema';
import { authHeaders, retryingFetch, unwrap, type ClientOptions } from './http';

type Schemas = components['schemas'];
type Query<K extends keyof operations> = operations[K]['parameters'] extends { query?: infer Q } ? NonNullable<Q> : never;
type Page<T> = { data: T[]; pagination: { hasMore: boolean; nextCursor: string | null } };

export type Project = Schemas['ProjectDto'];
export type Application = Schemas['ApplicationDto'];
export type Deployment = Schemas['DeploymentDto'];
export type Database = Schemas['DatabaseDto'];

const TERMINAL = new Set(['success', 'failed', 'cancelled']);

/** Every item of a cursor-paged list, fetching pages as the loop needs them. */
async function* pages<T>(fetchPage: (cursor?: string) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.data;
    if (!page.pagination.hasMore || !page.pagination.nextCursor) return;
    cursor = page.pagination.nextCursor;
  }
}

export interface WaitOptions {
  /** Called on every poll whose status, stage or progress changed. */
  onProgress?: (deployment: Deployment) => void;
  intervalMs?: number;
  timeoutMs?: number;
}

export class SlipwayClient {
  /** The typed openapi-fetch client underneath, for any operation the facade lacks. */
  readonly api: Client<paths>;
  private readonly options: ClientOptions;
  private readonly fetcher: (r: Request) => Promise<Response>;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError('SlipwayClient: baseUrl is required');
    this.options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
    this.fetcher = retryingFetch(this.options);
    this.api = createClient<paths>({ baseUrl: this.options.baseUrl, fetch: this.fetcher });
  }

  readonly auth = {
    login: (body: Schemas['LoginDto']) => unwrap(this.api.POST('/api/auth/login', { body })),
    register: (body: Schemas['RegisterDto']) => unwrap(this.api.POST('/api/auth/register', { body })),
    me: () => unwrap(this.api.GET('/api/users/me')),
  };

  readonly projects = {
    list: (query: Query<'listProjects'> = {}) => unwrap(this.api.GET('/api/projects', { params: { query } })),
    listAll: (query: Query<'listProjects'> = {}) => pages((cursor) => this.projects.list({ ...query, ...(cursor ? { cursor } : {}) })),
    create: (body: Schemas['CreateProjectDto']) => unwrap(this.api.POST('/api/projects', { body })),
    get: (id: string) => unwrap(this.api.GET('/api/projects/{id}', { params: { path: { id } } })),
    update: (id: string, body: Schemas['UpdateProjectDto']) => unwrap(this.api.PATCH('/api/projects/{id}', { params: { path: { id } }, body })),
    delete: (id: string) => unwrap(this.api.DELETE('/api/projects/{id}', { params: { path: { id } } })),
  };

  readonly applications = {
    list: (query: Query<'listApplications'> = {}) => unwrap(this.api.GET('/api/applications', { params: { query } })),
    listAll: (query: Query<'listApplications'> = {}) => pages((cursor) => this.applications.list({ ...query, ...(cursor ? { cursor } : {}) })),
    create: (body: Schemas['CreateApplicationDto']) => unwrap(this.api.POST('/api/applications', { body })),
    get: (id: string) => unwrap(this.api.GET('/api/applications/{id}', { params: { path: { id } } })),
    update: (id: string, body: Schemas['UpdateApplicationDto']) => unwrap(this.api.PATCH('/api/applications/{id}', { params: { path: { id } }, body })),
    delete: (id: string) => unwrap(this.api.DELETE('/api/applications/{id}', { params: { path: { id } } })),
    // Fields with a server-side default (force, compress) are optional here.
    deploy: (id: string, body: Partial<Schemas['DeployDto']> = {}) =>
      unwrap(this.api.POST('/api/applications/{id}/deploy', { params: { path: { id } }, body: body as Schemas['DeployDto'] })),
    scale: (id: string, replicas: number) => unwrap(this.api.POST('/api/applications/{id}/scale', { params: { path: { id } }, body: { replicas } })),
    restart: (id: string) => unwrap(this.api.POST('/api/applications/{id}/restart', { params: { path: { id } } })),
    stop: (id: string) => unwrap(this.api.POST('/api/applications/{id}/stop', { params: { path: { id } } })),
    start: (id: string) => unwrap(this.api.POST('/api/applications/{id}/start', { params: { path: { id } } })),
    deployments: (id: string, query: Query<'listApplicationDeployments'> = {}) =>
      unwrap(this.api.GET('/api/applications/{id}/deployments', { params: { path: { id }, query } })),
    /** Recent lines; with `follow: true` a LogStream (async iterable and emitter) over SSE. */
    logs: ((id: string, options: { follow?: boolean; tail?: number; since?: string } = {}) => {
      if (!options.follow) {
        const { follow: _f, ...query } = options;
        return unwrap(this.api.GET('/api/applications/{id}/logs', { params: { path: { id }, query: query as Query<'getApplicationLogs'> } }));
      }
      return this.stream(`/api/applications/${encodeURIComponent(id)}/logs`, { follow: 'true', ...(options.tail !== undefined ? { tail: String(options.tail) } : {}), ...(options.since ? { since: options.since } : {}) });
    }) as {
      (id: string, options: { follow: true; tail?: number; since?: string }): LogStream;
      (id: string, options?: { follow?: false; tail?: number; since?: string }): Promise<Schemas['ApplicationLogsDto']>;
    },
  };

  readonly deployments = {
    list: (query: Query<'listDeployments'> = {}) => unwrap(this.api.GET('/api/deployments', { params: { query } })),
    listAll: (query: Query<'listDeployments'> = {}) => pages((cursor) => this.deployments.list({ ...query, ...(cursor ? { cursor } : {}) })),
    get: (id: string) => unwrap(this.api.GET('/api/deployments/{id}', { params: { path: { id } } })),
    /** The build and rollout output; with `follow: true` a LogStream that ends when the deployment does. */
    logs: ((id: string, options: { follow?: boolean } = {}) => {
      if (!options.follow) return unwrap(this.api.GET('/api/deployments/{id}/logs', { params: { path: { id } } }));
      return this.stream(`/api/deployments/${encodeURIComponent(id)}/logs`, { follow: 'true' });
    }) as {
      (id: string, options: { follow: true }): LogStream;
      (id: string, options?: { follow?: false }): Promise<Schemas['DeploymentLogsDto']>;
    },
    rollback: (id: string) => unwrap(this.api.POST('/api/deployments/{id}/rollback', { params: { path: { id } } })),
    cancel: (id: string) => unwrap(this.api.POST('/api/deployments/{id}/cancel', { params: { path: { id } } })),
    /** Polls until success, failed or cancelled; resolves with the final deployment (check its status). */
    wait: async (id: string, options: WaitOptions = {}): Promise<Deployment> => {
      const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
      let last = '';
      for (;;) {
        const deployment = (await this.deployments.get(id)) as Deployment;
        const running = deployment.stages?.find((s) => s.status === 'running')?.name ?? '';
        const key = `${deployment.status}/${running}/${deployment.progress}`;
        if (key !== last) options.onProgress?.(deployment);
        last = key;
        if (TERMINAL.has(deployment.status)) return deployment;
        if (Date.now() > deadline) throw new SlipwayError('TIMEOUT', `Deployment ${id} still ${deployment.status} after the wait`, 0);
        await new Promise((r) => setTimeout(r, options.intervalMs ?? 1000));
      }
    },
  };

  readonly databases = {
    list: (query: Query<'listDatabases'> = {}) => unwrap(this.api.GET('/api/databases', { params: { query } })),
    listAll: (query: Query<'listDatabases'> = {}) => pages((cursor) => this.databases.list({ ...query, ...(cursor ? { cursor } : {}) })),
    create: (body: Schemas['CreateDatabaseDto']) => unwrap(this.api.POST('/api/databases', { body })),
    get: (id: string) => unwrap(this.api.GET('/api/databases/{id}', { params: { path: { id } } })),
    update: (id: string, body: Schemas['UpdateDatabaseDto']) => unwrap(this.api.PATCH('/api/databases/{id}', { params: { path: { id } }, body })),
    delete: (id: string) => unwrap(this.api.DELETE('/api/databases/{id}', { params: { path: { id } } })),
    connection: (id: string) => unwrap(this.api.GET('/api/databases/{id}/connection', { params: { path: { id } } })),
    stop: (id: string) => unwrap(this.api.POST('/api/databases/{id}/stop', { params: { path: { id } } })),
    start: (id: string) => unwrap(this.api.POST('/api/databases/{id}/start', { params: { path: { id } } })),
    restart: (id: string) => unwrap(this.api.POST('/api/databases/{id}/restart', { params: { path: { id } } })),
  };

  readonly backups = {
    create: (databaseId: string, body: Partial<Schemas['BackupDto']> = {}) =>
      unwrap(this.api.POST('/api/databases/{id}/backup', { params: { path: { id: databaseId } }, body: body as Schemas['BackupDto'] })),
    list: (databaseId: string, query: Query<'listBackups'> = {}) => unwrap(this.api.GET('/api/databases/{id}/backups', { params: { path: { id: databaseId }, query } })),
    get: (databaseId: string, backupId: string) => unwrap(this.api.GET('/api/databases/{id}/backups/{backupId}', { params: { path: { id: databaseId, backupId } } })),
    delete: (databaseId: string, backupId: string) =>
      unwrap(this.api.DELETE('/api/databases/{id}/backups/{backupId}', { params: { path: { id: databaseId, backupId } } })),
    restore: (databaseId: string, backupId: string) =>
      unwrap(this.api.POST('/api/databases/{id}/backups/{backupId}/restore', { params: { path: { id: databaseId, backupId } } })),
    getRestore: (databaseId: string, restoreId: string) =>
      unwrap(this.api.GET('/api/databases/{id}/restores/{restoreId}', { params: { path: { id: databaseId, restoreId } } })),
  };

  readonly teams = {
    list: () => unwrap(this.api.GET('/api/teams')),
  };

  readonly apiKeys = {
    list: () => unwrap(this.api.GET('/api/api-keys')),
    create: (body: Schemas['CreateApiKeyDto']) => unwrap(this.api.POST('/api/api-keys', { body })),
    revoke: (id: string) => unwrap(this.api.DELETE('/api/api-keys/{id}', { params: { path: { id } } })),
  };

  private stream(path: string, query: Record<string, string>): LogStream {
    const url = `${this.options.baseUrl}${path}?${new URLSearchParams(query).toString()}`;
    return new LogStream({ url, headers: authHeaders(this.options), fetch: this.options.fetch ?? fetch });
  }
}
