import type { ApplicationView, DeploymentView } from '@slipway/deployments-contracts';
import type { DatabaseType, DatabaseView } from '@slipway/databases-contracts';
import type { ProjectView } from '@slipway/projects-contracts';
import { formatEnv } from './input';

/**
 * Slipway's views in Dokploy's shapes and words (field names and status
 * values of Dokploy v0.30's rows). Pure. A field Slipway has no notion of is
 * present with Dokploy's "unset" value (null), so clients that read it find it.
 */

/** Dokploy's router names for database kinds, and the id field each uses. */
export const DB_KINDS = {
  postgres: { type: 'postgresql', id: 'postgresId' },
  mysql: { type: 'mysql', id: 'mysqlId' },
  mariadb: { type: 'mariadb', id: 'mariadbId' },
  mongo: { type: 'mongodb', id: 'mongoId' },
  redis: { type: 'redis', id: 'redisId' },
} as const satisfies Record<string, { type: DatabaseType; id: string }>;
export type DbKind = keyof typeof DB_KINDS;

export function dbKindOf(type: DatabaseType): DbKind {
  return (Object.keys(DB_KINDS) as DbKind[]).find((k) => DB_KINDS[k].type === type)!;
}

/** Dokploy's applicationStatus: idle (not running), running (a deployment in progress), done (deployed and up), error. */
export type DokployStatus = 'idle' | 'running' | 'done' | 'error';

export function applicationStatus(app: ApplicationView): DokployStatus {
  const last = app.lastDeployment?.status;
  if (last === 'pending' || last === 'cloning' || last === 'building' || last === 'deploying') return 'running';
  if (app.status === 'error' || last === 'failed') return 'error';
  if (app.status === 'running' || app.status === 'degraded') return 'done';
  return 'idle';
}

export function databaseStatus(db: DatabaseView): DokployStatus {
  switch (db.status) {
    case 'running':
      return 'done';
    case 'pending':
    case 'restoring':
      return 'running';
    case 'error':
      return 'error';
    case 'stopped':
      return 'idle';
  }
}

export interface EnvironmentRef {
  environmentId: string | null;
}

export function presentApplication(app: ApplicationView, env: EnvironmentRef = { environmentId: environmentIdOf(app) }) {
  const git = app.gitSource;
  return {
    applicationId: app.id,
    name: app.name,
    appName: app.name,
    description: null,
    env: formatEnv(app.envVars),
    buildArgs: null,
    memoryLimit: app.resources.memoryLimit,
    cpuLimit: app.resources.cpuLimit,
    memoryReservation: null,
    cpuReservation: null,
    title: null,
    enabled: null,
    command: app.command ? app.command.join(' ') : null,
    replicas: app.replicas,
    sourceType: git ? 'git' : 'docker',
    dockerImage: git ? null : app.image,
    username: null,
    password: null,
    registryUrl: null,
    customGitUrl: git?.repoUrl ?? null,
    customGitBranch: git?.branch ?? null,
    customGitBuildPath: git?.buildPath ?? null,
    dockerfile: git?.dockerfile ?? null,
    autoDeploy: git?.autoDeploy ?? null,
    buildType: git ? 'dockerfile' : null,
    applicationStatus: applicationStatus(app),
    projectId: app.projectId,
    environmentId: env.environmentId,
    serverId: null,
    createdAt: app.createdAt,
  };
}

export function presentDatabase(db: DatabaseView, password?: { databasePassword: string }) {
  const kind = dbKindOf(db.type);
  return {
    [DB_KINDS[kind].id]: db.id,
    name: db.name,
    appName: db.serviceName,
    description: null,
    ...(kind === 'redis' ? {} : { databaseName: db.databaseName, databaseUser: db.username }),
    // Only where Dokploy's own read procedure returns it (<db>.one), and only to roles Slipway shows it to.
    ...(password ?? {}),
    dockerImage: db.image,
    command: null,
    env: null,
    memoryReservation: null,
    memoryLimit: db.resources.memoryLimit,
    cpuReservation: null,
    cpuLimit: null,
    externalPort: db.externalPort,
    applicationStatus: databaseStatus(db),
    projectId: db.projectId,
    environmentId: environmentIdOf(db),
    serverId: null,
    createdAt: db.createdAt,
  };
}

/** Services listed in a project or environment (Dokploy's seven arrays). */
export interface Services {
  applications: ReturnType<typeof presentApplication>[];
  compose: never[];
  postgres: ReturnType<typeof presentDatabase>[];
  mysql: ReturnType<typeof presentDatabase>[];
  mariadb: ReturnType<typeof presentDatabase>[];
  mongo: ReturnType<typeof presentDatabase>[];
  redis: ReturnType<typeof presentDatabase>[];
}

export function servicesOf(apps: ApplicationView[], dbs: DatabaseView[]): Services {
  const services: Services = { applications: apps.map((a) => presentApplication(a)), compose: [], postgres: [], mysql: [], mariadb: [], mongo: [], redis: [] };
  for (const db of dbs) services[dbKindOf(db.type)].push(presentDatabase(db));
  return services;
}

export interface EnvironmentLike {
  id: string;
  projectId: string;
  name: string;
  description?: string | null;
  isDefault: boolean;
  createdAt: string;
}

export function presentEnvironment(env: EnvironmentLike, apps: ApplicationView[] = [], dbs: DatabaseView[] = []) {
  const mine = <T extends ApplicationView | DatabaseView>(items: T[]) => items.filter((i) => belongsTo(i, env));
  return {
    environmentId: env.id,
    name: env.name,
    description: env.description ?? null,
    isDefault: env.isDefault,
    projectId: env.projectId,
    env: '',
    createdAt: env.createdAt,
    ...servicesOf(mine(apps), mine(dbs)),
  };
}

export function presentProject(project: ProjectView, environments: EnvironmentLike[], apps: ApplicationView[], dbs: DatabaseView[]) {
  return {
    projectId: project.id,
    name: project.name,
    description: project.description ?? '',
    createdAt: project.createdAt,
    organizationId: project.teamId,
    // Dokploy before organizations (seed 001's rows) named the owner so.
    adminId: project.ownerId,
    env: '',
    // Clients from before environments (CLI 0.2.8) read the services here.
    ...servicesOf(apps, dbs),
    environments: environments.map((e) => presentEnvironment(e, apps, dbs)),
    projectTags: [],
  };
}

export function presentDeployment(d: DeploymentView) {
  return {
    deploymentId: d.id,
    title: d.commitMessage ?? (d.kind === 'rollback' ? 'Rollback' : 'Deployment'),
    description: d.commitSha ?? null,
    status: deploymentStatus(d),
    logPath: `/api/deployments/${d.id}/logs`,
    applicationId: d.applicationId,
    composeId: null,
    serverId: null,
    isPreviewDeployment: false,
    errorMessage: d.error,
    createdAt: d.createdAt,
    startedAt: d.stages.find((s) => s.startedAt)?.startedAt ?? null,
    finishedAt: [...d.stages].reverse().find((s) => s.finishedAt)?.finishedAt ?? null,
  };
}

function deploymentStatus(d: DeploymentView): 'running' | 'done' | 'error' | 'cancelled' {
  if (d.status === 'success') return 'done';
  if (d.status === 'failed') return 'error';
  if (d.status === 'cancelled') return 'cancelled';
  return 'running';
}

/** Environments arrive on application and database views with the environments capability. */
function environmentIdOf(item: ApplicationView | DatabaseView): string | null {
  return ((item as { environmentId?: string | null }).environmentId ?? null) as string | null;
}

/** A service without an environment (none recorded yet) shows in its project's default one. */
function belongsTo(item: ApplicationView | DatabaseView, env: EnvironmentLike): boolean {
  const id = environmentIdOf(item);
  return item.projectId === env.projectId && (id === env.id || (id === null && env.isDefault));
}
