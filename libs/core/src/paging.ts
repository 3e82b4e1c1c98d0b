/** The contract's list envelope: `data` plus cursor `pagination`. */
export interface Page<T> {
  data: T[];
  pagination: { hasMore: boolean; nextCursor: string | null; prevCursor: string | null; total: number };
}

/** One dependency of a service as its health request reports it. */
export interface DependencyHealth {
  status: 'ok' | 'unavailable';
  /** Why it is unavailable (never credentials). */
  message?: string;
}

export interface HealthResponse {
  service: string;
  /** `degraded`: the service answers, but a dependency (its database, the engine) does not. */
  status: 'ok' | 'degraded';
  instance: string;
  /** e.g. `postgresql`, `docker`. */
  dependencies?: Record<string, DependencyHealth>;
  /** Messages its event consumers gave up on (see the dead_letters table). */
  deadLetters?: number;
}

/** Opaque cursors: base64url JSON of the keyset position plus a direction. */
export interface CursorPosition {
  /** The sort column's value of the boundary row. */
  v: string | number;
  /** The boundary row's id (tie-breaker). */
  id: string;
  /** 'n' = rows after the boundary, 'p' = rows before it. */
  d: 'n' | 'p';
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** Returns undefined for anything that is not a cursor this platform issued. */
export function decodeCursor(cursor: string): CursorPosition | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!parsed || typeof parsed !== 'object') return undefined;
    const p = parsed as Record<string, unknown>;
    if ((typeof p.v !== 'string' && typeof p.v !== 'number') || typeof p.id !== 'string') return undefined;
    if (p.d !== 'n' && p.d !== 'p') return undefined;
    return { v: p.v, id: p.id, d: p.d };
  } catch {
    return undefined;
  }
}
