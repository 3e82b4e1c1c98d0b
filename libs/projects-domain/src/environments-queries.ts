import type { EnvironmentView } from '@slipway/projects-contracts';

/** The SQL side of environment reads (the `environments` projection and the per-environment counts). */
export interface EnvironmentRow {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  is_default: boolean;
  version: string;
  created_at: Date;
  updated_at: Date;
  application_count: number | null;
  database_count: number | null;
}

export function environmentSelect(schema: string): string {
  return `SELECT e.*, es.application_count, es.database_count
    FROM "${schema}".environments e
    JOIN "${schema}".projects p ON p.id = e.project_id AND p.deleted_at IS NULL
    LEFT JOIN "${schema}".environment_statistics es ON es.environment_id = e.id`;
}

/** Default first, then by name in code-point order (as the gateway's model sorts): the order every environment list has. */
export const ENVIRONMENT_ORDER = 'ORDER BY e.is_default DESC, e.name COLLATE "C" ASC, e.id ASC';

export function environmentView(row: EnvironmentRow): EnvironmentView {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    isDefault: row.is_default,
    statistics: { applicationCount: row.application_count ?? 0, databaseCount: row.database_count ?? 0 },
    version: Number(row.version),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
