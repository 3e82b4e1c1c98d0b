import { randomUUID } from 'node:crypto';
import { DeploymentsApi, type AccessScope, type ApplicationLogLine } from '@slipway/deployments-contracts';
import { requestSubject } from '@slipway/messaging';
import type { Principal } from '../conventions/request';
import type { Downstream } from '../downstream';
import type { LogStreamOptions } from './upgrade-routes';

const LEASE_MS = 15_000;
const DEPLOYMENT_POLL_MS = 250;
const DEPLOYMENT_PAGE = 500;

export interface FollowedLine {
  applicationId: string;
  timestamp: string;
  level: string;
  message: string;
  container: string;
  /** Resume point (SSE id): the engine's timestamp for app lines, the line's seq for deployment lines. */
  cursor: string;
  deploymentId?: string;
  stage?: string;
}

/**
 * Live output for WebSocket subscriptions and SSE readers. An application's
 * lines come from the Docker engine through the deployments service (it
 * follows the service's logs and publishes each line to a subject only this
 * follower listens on, for as long as the follower renews its lease); a
 * deployment's lines are read on from its stored log until it ends.
 */
export class LogFollowers {
  constructor(private readonly downstream: Downstream) {}

  followApplication(
    principal: Principal,
    applicationId: string,
    scope: AccessScope,
    options: LogStreamOptions,
    onLine: (line: FollowedLine) => void,
    onError: (err: Error) => void = () => undefined,
    onEnd: (why: string) => void = () => undefined,
  ): () => void {
    const bus = this.downstream.bus;
    const subject = requestSubject(`logs.follow.${randomUUID().replace(/-/g, '')}`, bus.instance);
    const after = options.after;
    const sub = bus.connection.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const line = msg.json<ApplicationLogLine>();
          // Resuming after a Last-Event-ID: `since` is whole seconds, so lines up to that id are skipped here.
          if (after && line.timestamp <= after) return;
          onLine({ applicationId, timestamp: line.timestamp, level: line.level, message: line.message, container: line.container, cursor: line.timestamp });
        } catch {
          /* a malformed line is skipped */
        }
      },
    });
    // The deployments service says so when the application is gone (its follower stops for good).
    const ended = bus.connection.subscribe(`${subject}.end`, { max: 1, callback: () => onEnd('The application was deleted') });
    const sinceIso = after ?? options.since;
    const since = sinceIso ? Math.floor(Date.parse(sinceIso) / 1000) : undefined;
    void this.downstream
      .request(
        DeploymentsApi.followApplicationLogs,
        { applicationId, scope, subject, tail: options.tail ?? (sinceIso ? 1000 : 100), ...(since !== undefined ? { since } : {}), leaseMs: LEASE_MS },
        { requestId: `follow-${randomUUID()}`, actorId: principal.userId, actorType: principal.kind, keyId: principal.keyId },
      )
      .catch((err: Error) => onError(err));
    const renew = setInterval(() => bus.connection.publish(`${subject}.ctl`, 'renew'), LEASE_MS / 3).unref();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      clearInterval(renew);
      bus.connection.publish(`${subject}.ctl`, 'stop');
      sub.unsubscribe();
      ended.unsubscribe();
    };
  }

  /** Reads on from the stored log (after `options.after`, a seq) and calls onEnd once the deployment has finished and everything is read. */
  followDeployment(
    principal: Principal,
    deploymentId: string,
    scope: AccessScope,
    options: LogStreamOptions,
    onLine: (line: FollowedLine) => void,
    onEnd: (why: string) => void,
  ): () => void {
    let stopped = false;
    let after = options.after && /^\d+$/.test(options.after) ? Number(options.after) : 0;
    const headers = { requestId: `follow-${randomUUID()}`, actorId: principal.userId, actorType: principal.kind, keyId: principal.keyId };
    const loop = async () => {
      let applicationId = '';
      while (!stopped) {
        try {
          const deployment = await this.downstream.request(DeploymentsApi.getDeployment, { deploymentId, scope }, headers);
          applicationId = deployment.applicationId;
          const finished = deployment.status === 'success' || deployment.status === 'failed' || deployment.status === 'cancelled';
          // Read everything there is, then stop if the deployment had already finished before this read.
          for (;;) {
            const page = await this.downstream.request(DeploymentsApi.deploymentLogs, { deploymentId, scope, after, limit: DEPLOYMENT_PAGE }, headers);
            for (const l of page.logs) {
              if (stopped) return;
              after = l.seq;
              onLine({ applicationId, deploymentId, timestamp: l.timestamp, level: l.level, message: l.message, stage: l.stage, container: 'deployment', cursor: String(l.seq) });
            }
            if (page.logs.length < DEPLOYMENT_PAGE) break;
          }
          if (finished) {
            if (!stopped) onEnd(`The deployment ended (${deployment.status})`);
            return;
          }
        } catch (err) {
          if (stopped) return;
          if ((err as { code?: string }).code === 'RESOURCE_NOT_FOUND') {
            onEnd('The deployment is gone');
            return;
          }
        }
        await new Promise((r) => setTimeout(r, DEPLOYMENT_POLL_MS));
      }
    };
    void loop();
    return () => {
      stopped = true;
    };
  }
}
