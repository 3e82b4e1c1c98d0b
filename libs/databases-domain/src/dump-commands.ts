import type { DatabaseType } from '@slipway/databases-contracts';

/**
 * Each engine's own dump and restore tools, run inside the database's own
 * container (Docker exec) with the credentials from the container's
 * environment, so no password is ever on a command line Slipway builds.
 * Dumps write the archive to stdout; restores read it from stdin. Pure.
 */
export interface DumpPlan {
  /** Recorded on the backup and checked on restore. */
  format: string;
  extension: string;
  dump: string[];
  restore: string[];
}

const sh = (script: string): string[] => ['sh', '-c', script];
const MYSQL_PW = 'MYSQL_PWD="${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}"';
const MYSQL_DB = '"${MARIADB_DATABASE:-$MYSQL_DATABASE}"';

export function dumpPlan(type: DatabaseType): DumpPlan {
  switch (type) {
    case 'postgresql':
      return {
        format: 'pg_dump-custom',
        extension: 'dump',
        dump: sh('PGPASSWORD="$POSTGRES_PASSWORD" exec pg_dump --format=custom --no-owner -h 127.0.0.1 -U "$POSTGRES_USER" "$POSTGRES_DB"'),
        // One transaction: a corrupt or wrong archive changes nothing.
        restore: sh('PGPASSWORD="$POSTGRES_PASSWORD" exec pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'),
      };
    case 'mysql':
    case 'mariadb':
      return {
        format: 'mysql-sql',
        extension: 'sql',
        dump: sh(`d=$(command -v mariadb-dump || command -v mysqldump); ${MYSQL_PW} exec "$d" --single-transaction --routines --triggers --events -h 127.0.0.1 -uroot --databases ${MYSQL_DB}`),
        restore: sh(`c=$(command -v mariadb || command -v mysql); ${MYSQL_PW} exec "$c" -h 127.0.0.1 -uroot`),
      };
    case 'mongodb':
      return {
        format: 'mongodump-archive',
        extension: 'archive',
        dump: sh('exec mongodump --archive -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin'),
        restore: sh('exec mongorestore --archive --drop -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin'),
      };
    case 'redis':
      return {
        format: 'redis-rdb',
        extension: 'rdb',
        // BGSAVE, wait while it runs (LASTSAVE has only a second's resolution), check it worked, then the RDB file itself.
        dump: sh(
          'export REDISCLI_AUTH="$REDIS_PASSWORD"; redis-cli BGSAVE >/dev/null || exit 1; ' +
            'while redis-cli INFO persistence | grep -q "rdb_bgsave_in_progress:1"; do sleep 0.1; done; ' +
            'redis-cli INFO persistence | grep -q "rdb_last_bgsave_status:ok" || { echo "BGSAVE failed" >&2; exit 1; }; ' +
            'exec cat "$(redis-cli CONFIG GET dir | tail -n1)/$(redis-cli CONFIG GET dbfilename | tail -n1)"',
        ),
        // A running Redis cannot load an RDB in place: the file replaces the one on the volume, then the
        // server stops without saving and Swarm starts it again, and it loads the restored file.
        restore: sh(
          'export REDISCLI_AUTH="$REDIS_PASSWORD"; f="$(redis-cli CONFIG GET dir | tail -n1)/$(redis-cli CONFIG GET dbfilename | tail -n1)"; ' +
            'cat > "$f.restore" && head -c 5 "$f.restore" | grep -q REDIS || { echo "not an RDB file (no REDIS header)" >&2; rm -f "$f.restore"; exit 1; }; ' +
            'mv "$f.restore" "$f" && (sleep 0.5; redis-cli SHUTDOWN NOSAVE) >/dev/null 2>&1 &',
        ),
      };
  }
}
