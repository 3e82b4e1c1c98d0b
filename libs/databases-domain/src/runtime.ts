import type { DatabaseStatus } from '@slipway/databases-contracts';
import type { TaskInfo } from '@slipway/docker';

const FAILED = new Set(['failed', 'rejected', 'orphaned']);

/**
 * What the engine's tasks of a database's service say about it. Pure. With
 * a health check, Swarm reports a task `running` only once the engine
 * accepts connections, so `running` here means usable. A service whose
 * recent task failed (bad image, crash at start, failed probe) is `error`
 * with the engine's reason until a task runs again.
 */
export function observeDatabase(tasks: readonly TaskInfo[], stopped: boolean, serviceExists: boolean): { status: DatabaseStatus; message: string | null } {
  if (stopped) return { status: 'stopped', message: null };
  if (!serviceExists) return { status: 'pending', message: 'waiting for the Docker engine to create the service' };
  if (tasks.some((t) => t.Status?.State === 'running' && t.DesiredState === 'running')) return { status: 'running', message: null };
  const newest = [...tasks].sort((a, b) => Date.parse(b.CreatedAt ?? b.Status?.Timestamp ?? '') - Date.parse(a.CreatedAt ?? a.Status?.Timestamp ?? ''));
  // Stable while Swarm retries (rejected, new task, rejected ...): one status, not a flip-flop of events.
  const failure = newest.slice(0, 5).find((t) => FAILED.has(t.Status?.State) || (t.Status?.State === 'shutdown' && Boolean(t.Status?.Err)));
  if (failure) return { status: 'error', message: failure.Status.Err || failure.Status.Message || `task ${failure.Status.State}` };
  return { status: 'pending', message: 'waiting for the engine to accept connections' };
}
