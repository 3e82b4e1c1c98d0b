import { dumpPlan } from './dump-commands';

describe('dump plans', () => {
  it('uses each engine\'s own tool, its credentials from the container environment only', () => {
    expect(dumpPlan('postgresql').dump.join(' ')).toContain('pg_dump --format=custom');
    expect(dumpPlan('postgresql').restore.join(' ')).toContain('pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error');
    expect(dumpPlan('mariadb').dump.join(' ')).toContain('--single-transaction');
    expect(dumpPlan('mysql').dump.join(' ')).toMatch(/mariadb-dump \|\| command -v mysqldump/);
    expect(dumpPlan('redis').dump.join(' ')).toContain('BGSAVE');
    for (const type of ['postgresql', 'mysql', 'mariadb', 'mongodb', 'redis'] as const) {
      const plan = dumpPlan(type);
      expect(plan.dump[0]).toBe('sh');
      expect([...plan.dump, ...plan.restore].join(' ')).not.toMatch(/-p\s*[A-Za-z0-9]{8,}/);
    }
  });

  it('dumps MongoDB as a mongodump archive on stdout and restores it with --drop (not exercised on a real engine here)', () => {
    const plan = dumpPlan('mongodb');
    expect(plan.format).toBe('mongodump-archive');
    expect(plan.dump[2]).toBe('exec mongodump --archive -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin');
    expect(plan.restore[2]).toBe('exec mongorestore --archive --drop -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin');
  });
});
