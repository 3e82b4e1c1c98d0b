import type { DeploymentsApplication } from '../deployments-app';
import { compactRequestCounts, readAccessCheckpoint, storeRequestCounts } from '../request-metrics';
import { RequestAggregator, parseAccessLine, type RequestOwner } from './access-log';
import type { DomainTarget } from './proxy';

const RETRY_MS = 1000;
/** How often old minutes are rolled up (request-metrics.ts). */
const COMPACT_MS = 3_600_000;

/**
 * Leader-only, beside ProxySync: follows the proxy service's stdout (its
 * access log), counts requests per owner and minute, and stores them with
 * the resume point every `flushMs`. When the stream ends (the proxy's task
 * restarted, the engine hiccuped) it follows again from the stored second;
 * the aggregator skips what it already counted.
 */
export class AccessLogFollower {
  private owners = new Map<string, RequestOwner>();
  private abort?: AbortController;
  private aggregator?: RequestAggregator;
  private timer?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private flushing?: Promise<void>;
  private stored = 0;
  private compactedAt = 0;
  private targetsSet!: () => void;
  /** Lines are read only once the hosts are known: a line read earlier would be dropped yet move the resume point. */
  private targetsReady = new Promise<void>((r) => (this.targetsSet = r));

  constructor(private readonly app: DeploymentsApplication, private readonly log: (m: string) => void, private readonly flushMs = 2000) {}

  /** Hosts → owners, from the targets ProxySync just loaded (application domains and preview domains). */
  setTargets(targets: DomainTarget[]): void {
    const owners = new Map<string, RequestOwner>();
    for (const t of targets) if (t.applicationId) owners.set(t.domain, { applicationId: t.applicationId, preview: t.preview ?? 0 });
    this.owners = owners;
    this.targetsSet();
  }

  async start(): Promise<void> {
    const proxy = this.app.proxy;
    if (!proxy || this.abort) return;
    this.stored = await readAccessCheckpoint(this.app);
    const aggregator = new RequestAggregator(this.stored);
    this.aggregator = aggregator;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = (async () => {
      const aborted = new Promise<void>((r) => abort.signal.addEventListener('abort', () => r(), { once: true }));
      await Promise.race([this.targetsReady, aborted]);
      while (!abort.signal.aborted) {
        const since = aggregator.lastTs > 0 ? Math.floor(aggregator.lastTs) : undefined;
        await this.app.docker
          .followServiceLogs(
            proxy.names.service,
            since !== undefined ? { since } : {},
            (line) => {
              if (line.stream !== 'stdout') return;
              const entry = parseAccessLine(line.message);
              if (entry) aggregator.add(entry, (host) => this.owners.get(host));
            },
            abort.signal,
          )
          .catch((err: Error) => this.log(`proxy access log: ${err.message}`));
        if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    })();
    const tick = () => {
      this.timer = setTimeout(() => void this.flush().finally(() => !abort.signal.aborted && tick()), this.flushMs);
    };
    tick();
  }

  /** Stores what was counted since the last flush; on failure the counts wait for the next one. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const aggregator = this.aggregator;
    if (!aggregator) return;
    if (Date.now() - this.compactedAt > COMPACT_MS) {
      this.compactedAt = Date.now();
      await compactRequestCounts(this.app).catch((err: Error) => this.log(`proxy access log: compacting request counts failed (${err.message})`));
    }
    const { buckets, lastTs } = aggregator.drain();
    if (buckets.length === 0 && lastTs <= this.stored) return;
    this.flushing = storeRequestCounts(this.app, buckets, lastTs)
      .then(() => {
        this.stored = lastTs;
      })
      .catch((err: Error) => {
        aggregator.restore(buckets);
        this.log(`proxy access log: storing request counts failed (${err.message}); kept for the next flush`);
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (!this.abort) return;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.loop;
    // Twice: a flush already under way drained before the last lines came in.
    await this.flush();
    await this.flush();
    this.abort = undefined;
    this.aggregator = undefined;
  }
}
