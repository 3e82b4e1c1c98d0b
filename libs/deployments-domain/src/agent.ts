import { PgAdvisoryLock } from '@slipway/messaging';
import type { DeploymentsApplication } from './deployments-app';
import { ProxySync } from './proxy/proxy-sync';
import { Reconciler } from './reconciler';
import { DeploymentWorker } from './worker';

export interface EngineAgentOptions {
  app: DeploymentsApplication;
  /** This process's id, recorded on the deployments it runs. */
  instance: string;
  log: (message: string) => void;
  /** How often a standby checks whether it can take over. Default 2 s. */
  leaseCheckMs?: number;
}

/**
 * One process per deployments schema drives the engine: the holder of a
 * PostgreSQL session advisory lock runs the worker and the reconciler;
 * other replicas only answer requests and wait. When the leader dies its
 * session ends, the lock is free, and a standby takes over within a check
 * interval, resuming whatever the dead leader left running.
 */
export class EngineAgent {
  readonly worker: DeploymentWorker;
  readonly reconciler: Reconciler;
  readonly proxySync: ProxySync;
  private readonly lock: PgAdvisoryLock;
  private timer: NodeJS.Timeout | undefined;
  private leader = false;
  private ticking: Promise<void> | undefined;

  constructor(private readonly opts: EngineAgentOptions) {
    this.worker = new DeploymentWorker({ app: opts.app, workerId: opts.instance, log: opts.log });
    this.reconciler = new Reconciler({ app: opts.app, log: opts.log });
    this.proxySync = new ProxySync(opts.app, opts.log);
    this.lock = new PgAdvisoryLock(opts.app.store.dataSource, `slipway.deployments:${opts.app.schema}:engine-agent`);
    opts.app.onQueued = () => this.worker.wake();
    opts.app.onDeleted = () => this.reconciler.sweepSoon();
  }

  get isLeader(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      this.ticking ??= this.tick()
        .catch((err: unknown) => this.opts.log(`engine agent: ${(err as Error).message}`))
        .finally(() => (this.ticking = undefined));
    }, this.opts.leaseCheckMs ?? 2000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    if (this.leader) {
      this.leader = false;
      await this.worker.stop();
      await this.reconciler.stop();
      await this.proxySync.stop();
    }
    await this.lock.release();
  }

  private async tick(): Promise<void> {
    if (this.leader) {
      if (await this.lock.isHeld()) return;
      this.leader = false;
      this.opts.log('engine agent: lost the lead (database session ended); standing by');
      await this.worker.stop();
      await this.reconciler.stop();
      await this.proxySync.stop();
      return;
    }
    if (!(await this.lock.tryAcquire())) return;
    this.leader = true;
    this.opts.log('engine agent: leading (runs deployments and reconciles the engine)');
    await this.worker.start();
    this.reconciler.start();
    // Not awaited: the proxy's first start (image pull) must not hold up deployments.
    void this.proxySync.start().catch((err: Error) => this.opts.log(`proxy: ${err.message}`));
  }
}
