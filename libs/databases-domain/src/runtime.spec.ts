import type { TaskInfo } from '@slipway/docker';
import { observeDatabase } from './runtime';

const task = (state: string, at: string, extra: Partial<TaskInfo['Status']> = {}, desired = 'running'): TaskInfo =>
  ({ ID: at, ServiceID: 's', DesiredState: desired, CreatedAt: at, Status: { State: state, Timestamp: at, ...extra } }) as TaskInfo;

describe('observeDatabase', () => {
  it('is running once a task runs (healthy: Swarm says running only then)', () => {
    expect(observeDatabase([task('starting', '2026-01-01T00:00:01Z'), task('running', '2026-01-01T00:00:00Z')], false, true)).toEqual({ status: 'running', message: null });
  });

  it('is pending while the first task starts, and stopped when stopped', () => {
    expect(observeDatabase([task('starting', '2026-01-01T00:00:00Z')], false, true).status).toBe('pending');
    expect(observeDatabase([], false, false).status).toBe('pending');
    expect(observeDatabase([task('running', '2026-01-01T00:00:00Z')], true, true)).toEqual({ status: 'stopped', message: null });
  });

  it('is error with the engine\'s reason while Swarm retries a failing task (stable, not flapping)', () => {
    const failing = [
      task('rejected', '2026-01-01T00:00:00Z', { Err: 'No such image: nope:1' }, 'shutdown'),
      task('pending', '2026-01-01T00:00:05Z'),
    ];
    expect(observeDatabase(failing, false, true)).toEqual({ status: 'error', message: 'No such image: nope:1' });
  });
});
