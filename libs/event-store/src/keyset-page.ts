import { AppError, decodeCursor, encodeCursor, type Page } from '@slipway/core';

/** Anything that runs SQL: a DataSource, an EntityManager, or a plain function's wrapper. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

export interface KeysetQuery {
  /** FROM clause (joins allowed) whose rows have an `id` under `alias`. */
  from: string;
  /** Table alias of the row's `id` (default `t`). */
  alias?: string;
  /** FROM clause for the count when the joins of `from` do not change it (default `from`). */
  countFrom?: string;
  /** Selected columns (default `<alias>.*`); `sort_value` is added. */
  columns?: string;
  /** A WHERE clause over `params`. */
  filter: string;
  params: unknown[];
  /** SQL expression of the sort column. */
  column: string;
  cast: 'text' | 'timestamptz';
  limit: number;
  cursor?: string;
  order: 'asc' | 'desc';
  /** Only `nextCursor`s: a page never offers a way back (and a backward cursor is refused). */
  forwardOnly?: boolean;
}

/**
 * Keyset pagination over (sort column, id), the one way every read model
 * pages: opaque base64url cursors with a direction, stable under inserts, and
 * `total` for the filtered set. Rows come back with `sort_value`
 * (PostgreSQL's text form, which keeps microseconds, so a page edge never
 * skips or repeats a row). The count runs beside the page query, on another
 * pooled connection: latency is the slower of the two, not their sum.
 */
export async function keysetPage<R extends { id: string; sort_value: string }>(
  db: Queryable,
  q: KeysetQuery,
): Promise<{ rows: R[]; pagination: Page<R>['pagination'] }> {
  const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (q.cursor && (!cursor || (q.forwardOnly && cursor.d !== 'n'))) {
    const use = q.forwardOnly ? 'nextCursor' : 'nextCursor or prevCursor';
    throw new AppError('INVALID_INPUT', `The cursor is not valid; use ${use} from a previous page`, { field: 'cursor' });
  }
  const t = q.alias ?? 't';
  const counting = db.query(`SELECT count(*)::int AS total FROM ${q.countFrom ?? q.from} WHERE ${q.filter}`, q.params);
  counting.catch(() => undefined);

  // Going backwards flips the scan direction; rows are flipped back below.
  const backwards = cursor?.d === 'p';
  const ascending = (q.order === 'asc') !== backwards;
  const params = [...q.params];
  let where = q.filter;
  if (cursor) {
    params.push(cursor.v, cursor.id);
    where += ` AND (${q.column}, ${t}.id) ${ascending ? '>' : '<'} ($${params.length - 1}::${q.cast}, $${params.length}::uuid)`;
  }
  params.push(q.limit + 1);
  const dir = ascending ? 'ASC' : 'DESC';
  const [rows, [{ total }]] = await Promise.all([
    db.query(
      `SELECT ${q.columns ?? `${t}.*`}, (${q.column})::text AS sort_value FROM ${q.from} WHERE ${where}
        ORDER BY ${q.column} ${dir}, ${t}.id ${dir} LIMIT $${params.length}`,
      params,
    ) as Promise<R[]>,
    counting,
  ]);
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  if (backwards) page.reverse();
  // Forwards: more rows after when we over-fetched; rows before exist iff we came from a cursor.
  // Backwards: the mirror image.
  const hasNext = backwards ? cursor !== undefined : more;
  const hasPrev = !q.forwardOnly && (backwards ? more : cursor !== undefined);
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
