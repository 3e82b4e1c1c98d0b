import type { DeploymentsApplication } from '../deployments-app';
import { AccessLogFollower } from './access-log-follower';
import { probeCertificate } from './certificates';
import { CertificateMonitor } from './certificate-monitor';
import type { DomainTarget } from './proxy';

/**
 * Leader-only loop keeping Caddy's routes equal to the applications' domains
 * and their running (healthy) tasks. It polls (SLIPWAY_PROXY_SYNC_MS) rather
 * than trusting Docker events alone: a missed event must not leave a dead
 * upstream. Loading is skipped when nothing changed. After each pass the
 * CertificateMonitor looks at what the proxy serves (without holding up the
 * next pass).
 */
export class ProxySync {
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;
  /** Request metrics from the proxy's access log, with the hosts this loop routes. */
  private readonly accessLog: AccessLogFollower;
  readonly certificates: CertificateMonitor;

  constructor(private readonly app: DeploymentsApplication, private readonly log: (m: string) => void) {
    this.accessLog = new AccessLogFollower(app, log);
    const { probeHost, httpsPort, certificates } = app.config.proxy;
    this.certificates = new CertificateMonitor(
      app.store.dataSource,
      app.table('domain_certificates'),
      (domain) => probeCertificate(probeHost, httpsPort, domain),
      certificates,
      log,
    );
  }

  async start(): Promise<void> {
    const proxy = this.app.proxy;
    if (!proxy) return;
    this.stopped = false;
    await proxy.ensure();
    this.log(`proxy ${proxy.names.service} ready (ports ${this.app.config.proxy.httpPort}/${this.app.config.proxy.httpsPort})`);
    if (proxy.selfDomain) this.log(`proxy serves Slipway itself on https://${proxy.selfDomain} (gateway at ${proxy.gatewayUpstreams.join(', ')})`);
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
      const changed = await proxy.sync(targets);
      this.certificates.kick([...new Set(targets.filter((t) => t.https).map((t) => t.domain))], changed);
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
