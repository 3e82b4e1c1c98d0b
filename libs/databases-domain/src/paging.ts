import { AppError, decodeCursor, encodeCursor, type Page } from '@slipway/core';

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

export interface KeysetQuery {
  /** FROM clause defining alias `t` (joins allowed); rows come back as `t.*` plus `sort_value`. */
  from: string;
  /** Selected columns (default `t.*`). */
  columns?: string;
  /** Table alias `t`; a WHERE clause over `params`. */
  filter: string;
  params: unknown[];
  /** SQL expression of the sort column. */
  column: string;
  cast: 'text' | 'timestamptz';
  limit: number;
  cursor?: string;
  order: 'asc' | 'desc';
}

/**
 * (A copy of the deployments one until the shared keyset helper lands: same
 * cursors, same behaviour.)
 *
 * Keyset pagination over (sort column, id), the same way the projects and deployments services
 * pages: opaque cursors with a direction, stable under inserts, `total` for
 * the filtered set. Rows come back with `sort_value` (PostgreSQL's text form,
 * which keeps microseconds, so a page edge never skips or repeats a row).
 */
export async function keysetPage<R extends { id: string; sort_value: string }>(db: Queryable, q: KeysetQuery): Promise<{ rows: R[]; pagination: Page<R>['pagination'] }> {
  const [{ total }] = await db.query(`SELECT count(*)::int AS total FROM ${q.from} WHERE ${q.filter}`, q.params);
  const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (q.cursor && !cursor) {
    throw new AppError('INVALID_INPUT', 'The cursor is not valid; use nextCursor or prevCursor from a previous page', { field: 'cursor' });
  }
  const backwards = cursor?.d === 'p';
  const ascending = (q.order === 'asc') !== backwards;
  const params = [...q.params];
  let where = q.filter;
  if (cursor) {
    params.push(cursor.v, cursor.id);
    where += ` AND (${q.column}, t.id) ${ascending ? '>' : '<'} ($${params.length - 1}::${q.cast}, $${params.length}::uuid)`;
  }
  params.push(q.limit + 1);
  const dir = ascending ? 'ASC' : 'DESC';
  const rows: R[] = await db.query(
    `SELECT ${q.columns ?? 't.*'}, (${q.column})::text AS sort_value FROM ${q.from} WHERE ${where}
      ORDER BY ${q.column} ${dir}, t.id ${dir} LIMIT $${params.length}`,
    params,
  );
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  if (backwards) page.reverse();
  const hasNext = backwards ? cursor !== undefined : more;
  const hasPrev = backwards ? more : cursor !== undefined;
  const first = page[0];
  const last = page[page.length - 1];
  return {
    rows: page,
    pagination: {
      hasMore: hasNext,
      nextCursor: hasNext && last ? encodeCursor({ v: last.sort_value, id: last.id, d: 'n' }) : null,
      prevCursor: hasPrev && first ? encodeCursor({ v: first.sort_value, id: first.id, d: 'p' }) : null,
      total: Number(total),
    },
  };
}
