import { DatabasesApi, type DatabaseView } from '@slipway/databases-contracts';
import { DeploymentsApi, type ApplicationView } from '@slipway/deployments-contracts';
import type { AccessScope, EnvironmentView, ProjectView } from '@slipway/projects-contracts';
import type { RequestContextHeaders } from '@slipway/messaging';
import type { Downstream } from '../downstream';

export interface EnvironmentWithServices extends EnvironmentView {
  applications: ApplicationView[];
  databases: DatabaseView[];
}

const PAGE = 100;
/** A bound on what one answer gathers (per kind): past it, the rest is left out and `truncated` says so. */
export const TREE_MAX_SERVICES = 2000;

/**
 * project → environments → services, as Dokploy's shapes (and `?include=services`)
 * need it: the project's environments from the project read, its applications
 * and databases from their services (pages of the project's list, within the
 * caller's scopes), each put under its environment. Services of an
 * environment deleted meanwhile are left out.
 */
export async function environmentsWithServices(
  downstream: Downstream,
  project: ProjectView,
  scopes: { applications: AccessScope; databases: AccessScope },
  headers: RequestContextHeaders,
): Promise<{ environments: EnvironmentWithServices[]; truncated: boolean }> {
  const [apps, dbs] = await Promise.all([
    all((cursor) =>
      downstream.request(DeploymentsApi.listApplications, { scope: scopes.applications, projectId: project.id, limit: PAGE, cursor, sort: 'name', order: 'asc' }, headers),
    ),
    all((cursor) => downstream.request(DatabasesApi.list, { scope: scopes.databases, projectId: project.id, limit: PAGE, cursor, sort: 'name', order: 'asc' }, headers)),
  ]);
  const environments = project.environments.map((env) => ({ ...env, applications: [] as ApplicationView[], databases: [] as DatabaseView[] }));
  const byId = new Map(environments.map((env) => [env.id, env]));
  for (const app of apps.items) byId.get(app.environmentId)?.applications.push(app);
  for (const db of dbs.items) byId.get(db.environmentId)?.databases.push(db);
  return { environments, truncated: apps.truncated || dbs.truncated };
}

async function all<T>(page: (cursor: string | undefined) => Promise<{ data: T[]; pagination: { nextCursor?: string | null; hasMore?: boolean } }>) {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const next = await page(cursor);
    items.push(...next.data);
    if (!next.pagination.nextCursor || next.data.length === 0) return { items, truncated: false };
    if (items.length >= TREE_MAX_SERVICES) return { items, truncated: true };
    cursor = next.pagination.nextCursor;
  }
}
