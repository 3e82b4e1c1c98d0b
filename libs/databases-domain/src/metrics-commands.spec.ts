import { DATABASE_TYPES } from '@slipway/databases-contracts';
import { metricsCommand, parseMetrics } from './metrics-commands';

describe('metricsCommand', () => {
  it.each(DATABASE_TYPES)('given %s, then a shell script that takes the credentials from the environment and reports the data directory first', (type) => {
    const [shell, flag, script] = metricsCommand(type);
    expect([shell, flag]).toEqual(['sh', '-c']);
    expect(script.startsWith('echo "storage_kb=$(du -sk /')).toBe(true);
    // A literal password never appears: only the image's env variables.
    expect(script).toMatch(/\$(POSTGRES_PASSWORD|\{MARIADB_ROOT_PASSWORD|MONGO_INITDB_ROOT_PASSWORD|REDIS_PASSWORD)/);
  });

  it('given mongodb, then serverStatus and the database stats through mongosh (or the legacy shell), with no `$` for the shell to eat in the script', () => {
    const script = metricsCommand('mongodb')[2];
    expect(script).toContain('command -v mongosh || command -v mongo');
    expect(script).toContain('db.serverStatus()');
    expect(script).toContain(".getSiblingDB('${MONGO_INITDB_DATABASE:-admin}').stats()");
    const js = script.slice(script.indexOf('--eval "') + 8, -1);
    expect(js.replace('${MONGO_INITDB_DATABASE:-admin}', '')).not.toContain('$');
  });
});

describe('parseMetrics', () => {
  it('given psql output, then size, backends, transactions and the block hit rate', () => {
    expect(parseMetrics('postgresql', 'storage_kb=40960\nsize=7654321\nconnections=3\nqueries=1200\nhits=990\nreads=10\n')).toEqual({
      storageBytes: 40960 * 1024,
      size: 7654321,
      connections: 3,
      queries: 1200,
      cacheHitRate: 0.99,
    });
  });

  it('given mysql tab-separated output, then Threads_connected, Questions and the buffer pool hit rate', () => {
    const out = 'storage_kb=100\nsize\t49152\nInnodb_buffer_pool_read_requests\t1000\nInnodb_buffer_pool_reads\t50\nQuestions\t321\nThreads_connected\t2\n';
    expect(parseMetrics('mariadb', out)).toEqual({ storageBytes: 102400, size: 49152, connections: 2, queries: 321, cacheHitRate: 0.95 });
  });

  it('given mongosh output, then data + index size, current connections, all operations and the WiredTiger cache hit rate', () => {
    const out = 'storage_kb=2048\nsize=81920\nconnections=4\nqueries=77\nrequests=400\nmisses=100\n';
    expect(parseMetrics('mongodb', out)).toEqual({ storageBytes: 2048 * 1024, size: 81920, connections: 4, queries: 77, cacheHitRate: 0.75 });
  });

  it('given redis INFO (CRLF), then the dataset, clients, commands and keyspace hit rate', () => {
    const out = 'storage_kb=8\r\n# Clients\r\nconnected_clients:5\r\n# Memory\r\nused_memory:1048576\r\nused_memory_dataset:65536\r\n# Stats\r\ntotal_commands_processed:1002\r\nkeyspace_hits:3\r\nkeyspace_misses:1\r\n# Keyspace\r\ndb0:keys=1000,expires=0\r\n';
    expect(parseMetrics('redis', out)).toEqual({ storageBytes: 8192, size: 65536, connections: 5, queries: 1002, cacheHitRate: 0.75 });
  });

  it('given an engine that refused the query (only the storage line) or no traffic, then nulls, never an error', () => {
    expect(parseMetrics('postgresql', 'storage_kb=\npsql: error: connection refused\n')).toEqual({ storageBytes: null, size: null, connections: null, queries: null, cacheHitRate: null });
    expect(parseMetrics('redis', 'keyspace_hits:0\r\nkeyspace_misses:0\r\n').cacheHitRate).toBeNull();
  });
});
