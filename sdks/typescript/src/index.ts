import type { operations } from './generated/openapi';
import { Http, listAll, SlipwayError, type ClientOptions, type Query, type Schemas } from './client';

export { SlipwayError, listAll, type ClientOptions, type Schemas };
export type { paths, operations, components } from './generated/openapi';

type Q<K extends keyof operations> = NonNullable<operations[K]['parameters']['query']> & Query;
type Body<K extends keyof operations> = operations[K] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
const enc = encodeURIComponent;

class Applications {
  constructor(private readonly http: Http) {}
  list(query: Q<'listApplications'> = {} as Q<'listApplications'>) {
    return this.http.request<Schemas['ApplicationListDto']>('GET', 'api/applications', { query });
  }
  listAll(query: Omit<Q<'listApplications'>, 'cursor'> = {} as Q<'listApplications'>) {
    return listAll((cursor) => this.list({ ...query, cursor } as Q<'listApplications'>));
  }
  get(id: string) {
    return this.http.request<Schemas['ApplicationDto']>('GET', `api/applications/${enc(id)}`);
  }
  create(body: Body<'createApplication'>) {
    return this.http.request<Schemas['ApplicationDto']>('POST', 'api/applications', { body });
  }
  update(id: string, body: Body<'updateApplication'>, ifMatch?: string) {
    return this.http.request<Schemas['ApplicationDto']>('PATCH', `api/applications/${enc(id)}`, { body, headers: ifMatch ? { 'If-Match': ifMatch } : {} });
  }
  delete(id: string) {
    return this.http.request<void>('DELETE', `api/applications/${enc(id)}`);
  }
  deploy(id: string, body: Body<'deployApplication'> = {} as Body<'deployApplication'>) {
    return this.http.request<Schemas['DeploymentDto']>('POST', `api/applications/${enc(id)}/deploy`, { body });
  }
  scale(id: string, replicas: number) {
    return this.http.request<unknown>('POST', `api/applications/${enc(id)}/scale`, { body: { replicas } });
  }
  restart(id: string) {
    return this.http.request<unknown>('POST', `api/applications/${enc(id)}/restart`);
  }
  stop(id: string) {
    return this.http.request<unknown>('POST', `api/applications/${enc(id)}/stop`);
  }
  start(id: string) {
    return this.http.request<unknown>('POST', `api/applications/${enc(id)}/start`);
  }
  /** Recent log lines (follow mode over SSE is not wired yet: see the README). */
  logs(id: string, query: Q<'getApplicationLogs'> = {} as Q<'getApplicationLogs'>) {
    return this.http.request<unknown>('GET', `api/applications/${enc(id)}/logs`, { query });
  }
}

const TERMINAL = new Set(['success', 'failed', 'cancelled']);

class Deployments {
  constructor(private readonly http: Http) {}
  get(id: string) {
    return this.http.request<Schemas['DeploymentDto']>('GET', `api/deployments/${enc(id)}`);
  }
  list(query: Q<'listDeployments'> = {} as Q<'listDeployments'>) {
    return this.http.request<Schemas['DeploymentListDto']>('GET', 'api/deployments', { query });
  }
  /** Polls until the deployment ends; onProgress sees every change of status or stages. Resolves with the last state. */
  async wait(id: string, opts: { onProgress?: (d: Schemas['DeploymentDto']) => void; intervalMs?: number } = {}) {
    let last = '';
    for (;;) {
      const d = await this.get(id);
      const seen = JSON.stringify([d.status, d.stages]);
      if (seen !== last) opts.onProgress?.(d);
      last = seen;
      if (TERMINAL.has(d.status)) return d;
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
    }
  }
}

class Projects {
  constructor(private readonly http: Http) {}
  list(query: Q<'listProjects'> = {} as Q<'listProjects'>) {
    return this.http.request<Schemas['ProjectListDto']>('GET', 'api/projects', { query });
  }
  listAll(query: Omit<Q<'listProjects'>, 'cursor'> = {} as Q<'listProjects'>) {
    return listAll((cursor) => this.list({ ...query, cursor } as Q<'listProjects'>));
  }
  get(id: string) {
    return this.http.request<Schemas['ProjectDto']>('GET', `api/projects/${enc(id)}`);
  }
  create(body: Body<'createProject'>) {
    return this.http.request<Schemas['ProjectDto']>('POST', 'api/projects', { body });
  }
  delete(id: string) {
    return this.http.request<void>('DELETE', `api/projects/${enc(id)}`);
  }
}

export class SlipwayClient {
  readonly applications: Applications;
  readonly deployments: Deployments;
  readonly projects: Projects;
  constructor(options: ClientOptions) {
    const http = new Http(options);
    this.applications = new Applications(http);
    this.deployments = new Deployments(http);
    this.projects = new Projects(http);
  }
}
