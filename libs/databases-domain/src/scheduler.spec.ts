import { nextRun } from './scheduler';
import { Issues, normalizeSchedule } from './validation';

describe('backup schedules', () => {
  it('finds the next run strictly after a time, with 5 or 6 fields', () => {
    expect(nextRun('0 3 * * *', new Date('2026-01-01T03:00:00Z'))?.toISOString()).toBe('2026-01-02T03:00:00.000Z');
    expect(nextRun('*/5 * * * * *', new Date('2026-01-01T00:00:01Z'))?.toISOString()).toBe('2026-01-01T00:00:05.000Z');
  });

  it('a run missed for days is due once: the next run after the last mark is in the past, one backup, then the mark is now', () => {
    const lastMark = new Date('2026-01-01T03:00:00Z');
    const now = new Date('2026-01-05T12:00:00Z');
    expect(nextRun('0 3 * * *', lastMark)! <= now).toBe(true);
    expect(nextRun('0 3 * * *', now)! > now).toBe(true);
  });

  it('validates the expression and keepLast', () => {
    const issues = new Issues();
    expect(normalizeSchedule({ cron: '0 3 * * *' }, issues)).toEqual({ cron: '0 3 * * *', keepLast: null, compress: true });
    normalizeSchedule({ cron: '61 * * * *', keepLast: 0, extra: 1 }, issues);
    expect(issues.list.map((i) => i.field)).toEqual(['backupSchedule.extra', 'backupSchedule.cron', 'backupSchedule.keepLast']);
  });
});
