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
        // BGSAVE, wait until LASTSAVE moves, then the RDB file itself.
        dump: sh(
          'export REDISCLI_AUTH="$REDIS_PASSWORD"; before=$(redis-cli LASTSAVE); redis-cli BGSAVE >/dev/null || exit 1; ' +
            'while [ "$(redis-cli LASTSAVE)" = "$before" ]; do sleep 0.2; done; exec cat "$(redis-cli CONFIG GET dir | tail -n1)/$(redis-cli CONFIG GET dbfilename | tail -n1)"',
        ),
        // Loads the RDB into the running server (Redis 7: DEBUG RELOAD is off by default, so replay keys with RESTORE is not possible from a shell): replace the file and restart.
        restore: sh('f="$(redis-cli -a "$REDIS_PASSWORD" --no-auth-warning CONFIG GET dir | tail -n1)/$(redis-cli -a "$REDIS_PASSWORD" --no-auth-warning CONFIG GET dbfilename | tail -n1)"; cat > "$f.restore" && mv "$f.restore" "$f"'),
      };
  }
}
