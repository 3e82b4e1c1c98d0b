import type { DatabaseType } from '@slipway/databases-contracts';
import { ENGINES } from './catalog';

/**
 * What the sampler asks each engine, run inside the database's own container
 * (Docker exec) with the credentials from the container's environment, as the
 * dump tools are: no password on a command line Slipway builds, none in a log.
 * Every script prints `key<sep>value` lines (`=`, tab or `:`); the storage line
 * comes first so a refused engine query still reports the volume. Pure.
 */
export interface EngineSample {
  /** Bytes of data (tables and indexes; Redis: its dataset). */
  size: number | null;
  connections: number | null;
  /** Cumulative: transactions (PostgreSQL), statements (MySQL), commands (Redis), operations (MongoDB). */
  queries: number | null;
  /** 0..1, where the engine counts cache hits. */
  cacheHitRate: number | null;
  /** Bytes the data directory takes on the volume. */
  storageBytes: number | null;
}

const sh = (script: string): string[] => ['sh', '-c', script];
/** `du -sk`: busybox (Alpine images) has no -b; kibibytes are finer than the MiB reported. */
const storage = (type: DatabaseType): string => `echo "storage_kb=$(du -sk ${ENGINES[type].dataDir} 2>/dev/null | cut -f1)"; `;
const MYSQL_PW = 'MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}"';
const MYSQL_DB = '${MARIADB_DATABASE:-$MYSQL_DATABASE}';

export function metricsCommand(type: DatabaseType): string[] {
  switch (type) {
    case 'postgresql': {
      const sql =
        "SELECT 'size', pg_database_size(current_database())::bigint " +
        "UNION ALL SELECT 'connections', numbackends::bigint FROM pg_stat_database WHERE datname = current_database() " +
        "UNION ALL SELECT 'queries', (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = current_database() " +
        "UNION ALL SELECT 'hits', blks_hit::bigint FROM pg_stat_database WHERE datname = current_database() " +
        "UNION ALL SELECT 'reads', blks_read::bigint FROM pg_stat_database WHERE datname = current_database()";
      return sh(`${storage(type)}PGPASSWORD="$POSTGRES_PASSWORD" exec psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -At -F = -c "${sql}"`);
    }
    case 'mysql':
    case 'mariadb': {
      const sql =
        `SELECT 'size', COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = '${MYSQL_DB}'; ` +
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Questions', 'Innodb_buffer_pool_read_requests', 'Innodb_buffer_pool_reads')";
      return sh(`${storage(type)}c=$(command -v mariadb || command -v mysql); ${MYSQL_PW} exec "$c" -h 127.0.0.1 -uroot -N -B -e "${sql}"`);
    }
    case 'mongodb': {
      // No `$` in the script: the shell would expand it. The database's name comes from the environment through the shell.
      const js =
        "var s = db.serverStatus(); var d = db.getSiblingDB('DBNAME').stats(); " +
        "print('size=' + (Number(d.dataSize) + Number(d.indexSize))); print('connections=' + s.connections.current); " +
        "var o = s.opcounters; print('queries=' + (Number(o.insert) + Number(o.query) + Number(o.update) + Number(o.delete) + Number(o.getmore) + Number(o.command))); " +
        "var c = s.wiredTiger && s.wiredTiger.cache; if (c) { print('requests=' + c['pages requested from the cache']); print('misses=' + c['pages read into cache']); }";
      return sh(
        `${storage(type)}m=$(command -v mongosh || command -v mongo); exec "$m" --quiet -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin admin --eval "${js.replace('DBNAME', '${MONGO_INITDB_DATABASE:-admin}')}"`,
      );
    }
    case 'redis':
      return sh(`${storage(type)}REDISCLI_AUTH="$REDIS_PASSWORD" exec redis-cli INFO`);
  }
}

/** The lines a metrics script printed → numbers; anything missing or unparsable is null, never an error. */
export function parseMetrics(type: DatabaseType, output: string): EngineSample {
  const values = new Map<string, number>();
  for (const line of output.split(/\r?\n/)) {
    const m = /^([A-Za-z_ ]+?)[=\t:](-?\d+(?:\.\d+)?)\s*$/.exec(line.trim());
    if (m) values.set(m[1].toLowerCase(), Number(m[2]));
  }
  const get = (key: string): number | null => values.get(key) ?? null;
  const storageKb = get('storage_kb');
  const base = { storageBytes: storageKb === null ? null : storageKb * 1024 };
  switch (type) {
    case 'postgresql':
      return { ...base, size: get('size'), connections: get('connections'), queries: get('queries'), cacheHitRate: ratio(get('hits'), get('reads')) };
    case 'mysql':
    case 'mariadb': {
      const requests = get('innodb_buffer_pool_read_requests');
      const reads = get('innodb_buffer_pool_reads');
      // read_requests counts every logical read, reads those that went to disk.
      return { ...base, size: get('size'), connections: get('threads_connected'), queries: get('questions'), cacheHitRate: requests === null || reads === null ? null : ratio(requests - reads, reads) };
    }
    case 'mongodb': {
      const requests = get('requests');
      const misses = get('misses');
      return { ...base, size: get('size'), connections: get('connections'), queries: get('queries'), cacheHitRate: requests === null || misses === null ? null : ratio(requests - misses, misses) };
    }
    case 'redis':
      return {
        ...base,
        size: get('used_memory_dataset') ?? get('used_memory'),
        connections: get('connected_clients'),
        queries: get('total_commands_processed'),
        cacheHitRate: ratio(get('keyspace_hits'), get('keyspace_misses')),
      };
  }
}

/** hits / (hits + misses), rounded to 4 places; null without traffic. */
function ratio(hits: number | null, misses: number | null): number | null {
  if (hits === null || misses === null || hits < 0 || hits + misses <= 0) return null;
  return Math.round((hits / (hits + misses)) * 10_000) / 10_000;
}
