import type { EntityManager } from 'typeorm';
import { defaultEnvironmentId } from '@slipway/core';

/**
 * Read-model migration for environments: a table folded before they existed
 * gets its `environment_id` column, and each row without one (and its folded
 * state) gets its project's default environment — what the upcaster gives
 * the same events on a rebuild from zero, so both paths agree. Runs in the
 * projection's init (idempotent: rows that have one are left alone).
 */
export async function backfillEnvironments(tx: EntityManager, table: string): Promise<void> {
  await tx.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS environment_id text`);
  await tx.query(`CREATE INDEX IF NOT EXISTS ${table.split('.').pop()!.replace(/"/g, '')}_environment ON ${table} (environment_id) WHERE deleted_at IS NULL`);
  const rows: Array<{ id: string; project_id: string }> = await tx.query(`SELECT id, project_id FROM ${table} WHERE environment_id IS NULL`);
  for (const row of rows) {
    const environmentId = defaultEnvironmentId(row.project_id);
    await tx.query(`UPDATE ${table} SET environment_id = $2, state = jsonb_set(state, '{environmentId}', to_jsonb($2::text)) WHERE id = $1`, [row.id, environmentId]);
  }
}
