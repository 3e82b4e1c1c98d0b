import type { DeploymentsApplication } from '../deployments-app';
import { AccessLogFollower } from './access-log-follower';
import type { DomainTarget } from './proxy';

/**
 * Leader-only loop keeping Caddy's routes equal to the applications' domains
 * and their running (healthy) tasks. It polls (SLIPWAY_PROXY_SYNC_MS) rather
 * than trusting Docker events alone: a missed event must not leave a dead
 * upstream. Loading is skipped when nothing changed.
 */
export class ProxySync {
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;
  /** Request metrics from the proxy's access log, with the hosts this loop routes. */
  private readonly accessLog: AccessLogFollower;

  constructor(private readonly app: DeploymentsApplication, private readonly log: (m: string) => void) {
    this.accessLog = new AccessLogFollower(app, log);
  }

  async start(): Promise<void> {
    const proxy = this.app.proxy;
    if (!proxy) return;
    this.stopped = false;
    await proxy.ensure();
    this.log(`proxy ${proxy.names.service} ready (ports ${this.app.config.proxy.httpPort}/${this.app.config.proxy.httpsPort})`);
    await this.accessLog.start();
    const tick = async () => {
      if (this.stopped) return;
      await this.syncOnce().catch((err: Error) => this.log(`proxy sync: ${err.message}`));
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.app.config.proxy.syncIntervalMs);
    };
    void tick();
  }

  async syncOnce(): Promise<void> {
    const proxy = this.app.proxy;
    if (!proxy || this.running) return;
    this.running = true;
    try {
      const targets: DomainTarget[] = (await this.app.domainTargets()).map((t) => ({ ...t }));
      this.accessLog.setTargets(targets);
      await proxy.sync(targets);
    } finally {
      this.running = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.accessLog.stop();
  }
}
