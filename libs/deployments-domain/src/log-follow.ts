import type { ApplicationLogLine, FollowApplicationLogsRequest } from '@slipway/deployments-contracts';
import { levelOf, type DeploymentsApplication } from './deployments-app';
import { redact } from './secrets';

/** Lines one follower may send per second; past it lines are dropped and one notice says how many. */
export const FOLLOW_MAX_LINES_PER_SECOND = 1000;
/** How long to wait before looking again for a service that has no output stream (not deployed yet, or removed). */
const RETRY_MS = 1000;
/** How often a follower checks that its application still exists. */
const DELETION_CHECK_MS = 2000;

/**
 * Follows an application's output on the engine for as long as `signal`
 * lives: the service's logs with follow=true, secrets redacted, and — when
 * the service does not exist yet or is replaced — again from where it left
 * off, so a reader that starts before the first deployment sees its lines.
 * The access check is done by the caller (getApplication with the scope).
 */
export async function followApplicationLogs(
  app: DeploymentsApplication,
  req: Pick<FollowApplicationLogsRequest, 'applicationId' | 'tail' | 'since'>,
  serviceName: string,
  publish: (line: ApplicationLogLine) => void,
  signal: AbortSignal,
  now: () => number = Date.now,
): Promise<void> {
  let since = req.since;
  let tail: number | undefined = req.tail;
  let window = { second: 0, sent: 0, dropped: 0 };
  const emit = (line: ApplicationLogLine) => {
    const second = Math.floor(now() / 1000);
    if (second !== window.second) {
      if (window.dropped > 0) {
        publish({ timestamp: new Date(now()).toISOString(), level: 'warn', stream: 'stderr', message: `[slipway] ${window.dropped} line(s) dropped: more than ${FOLLOW_MAX_LINES_PER_SECOND} lines per second`, container: serviceName });
      }
      window = { second, sent: 0, dropped: 0 };
    }
    if (window.sent >= FOLLOW_MAX_LINES_PER_SECOND) {
      window.dropped++;
      return;
    }
    window.sent++;
    publish(line);
  };
  while (!signal.aborted) {
    const state = await app.loadApplication(req.applicationId).catch(() => undefined);
    if (!state || state.status !== 'active') return;
    const secrets = app.secretValues(state);
    let last = '';
    const startedAt = Math.floor(now() / 1000);
    // The engine does not always end a followed stream when its service is removed:
    // the application's own state says when to stop.
    const inner = new AbortController();
    const onOuter = () => inner.abort();
    signal.addEventListener('abort', onOuter, { once: true });
    const watch = setInterval(() => {
      void app
        .loadApplication(req.applicationId)
        .then((s) => (s.status !== 'active' ? inner.abort() : undefined))
        .catch(() => undefined);
    }, DELETION_CHECK_MS);
    await app.docker
      .followServiceLogs(
        serviceName,
        { ...(tail !== undefined ? { tail } : {}), ...(since !== undefined ? { since } : {}) },
        (l) => {
          last = l.timestamp || last;
          emit({
            timestamp: l.timestamp,
            level: levelOf(l.message, l.stream),
            stream: l.stream,
            message: redact(l.message, secrets),
            container: l.taskId ? `${serviceName}.${l.taskId.slice(0, 12)}` : serviceName,
          });
        },
        inner.signal,
      )
      .catch(() => undefined)
      .finally(() => {
        clearInterval(watch);
        signal.removeEventListener('abort', onOuter);
      });
    if (signal.aborted) return;
    // Start again after what was seen (whole seconds: the engine's `since`), without a tail.
    since = last ? Math.floor(Date.parse(last) / 1000) + 1 : Math.min(since ?? startedAt, startedAt);
    tail = undefined;
    await new Promise((r) => setTimeout(r, RETRY_MS).unref?.());
  }
}
