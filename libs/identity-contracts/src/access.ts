/**
 * THE permission table: what each team role may do. Every authorization
 * decision in Slipway reads this one table (the gateway enforces it; the
 * permission-matrix test drives every route against it).
 */
export const TEAM_ROLES = ['viewer', 'developer', 'admin', 'owner'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];
export const ASSIGNABLE_ROLES = ['admin', 'developer', 'viewer'] as const;
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];

export const ACTIONS = [
  'team:read',
  'team:members:manage',
  'team:delete',
  'project:read',
  'project:write',
  'application:read',
  'application:write',
  'application:deploy',
  'database:read',
  'database:write',
  'database:backup',
  'database:restore',
  'apikey:manage',
  'audit:read',
  'webhook:manage',
] as const;
export type Action = (typeof ACTIONS)[number];

/** viewers read; developers also manage and deploy applications and manage, back up and restore databases; admins also manage projects, members, API keys and outgoing webhook endpoints (they receive the team's events); owners everything. */
export const PERMISSIONS: Record<TeamRole, readonly Action[]> = {
  viewer: ['team:read', 'project:read', 'application:read', 'database:read'],
  developer: ['team:read', 'project:read', 'application:read', 'application:write', 'application:deploy', 'database:read', 'database:write', 'database:backup', 'database:restore'],
  admin: [
    'team:read',
    'team:members:manage',
    'project:read',
    'project:write',
    'application:read',
    'application:write',
    'application:deploy',
    'database:read',
    'database:write',
    'database:backup',
    'database:restore',
    'apikey:manage',
    'audit:read',
    'webhook:manage',
  ],
  owner: [...ACTIONS],
};

/** Actions a `read` API key may perform (whatever its creator's role). */
export const READ_ONLY_ACTIONS: readonly Action[] = ['team:read', 'project:read', 'application:read', 'database:read'];

export function roleCan(role: TeamRole | undefined, action: Action): boolean {
  return role !== undefined && PERMISSIONS[role].includes(action);
}

export const isWriteAction = (action: Action): boolean => !READ_ONLY_ACTIONS.includes(action);

export type ApiKeyPermission = 'read' | 'read-write';
