import type { CertificateCheckPolicy } from '../config';
import type { ServedCertificate } from './certificates';
import { dueForCheck, recordProbe, shownChanged, type CertificateRecord } from './certificate-schedule';

interface Db {
  query(sql: string, params?: unknown[]): Promise<any>;
}

interface Row {
  domain: string;
  status: CertificateRecord['status'];
  expires_at: Date | null;
  checked_at: Date;
  next_check_at: Date;
  attempts: number;
}

export function certificatesTableSql(table: string): string {
  return `
    CREATE TABLE IF NOT EXISTS ${table} (
      domain text PRIMARY KEY,
      status text NOT NULL,
      expires_at timestamptz,
      checked_at timestamptz NOT NULL,
      next_check_at timestamptz NOT NULL,
      attempts integer NOT NULL
    )`;
}

/**
 * Keeps the certificate each https domain is served with as a stored fact,
 * so reads cost one indexed lookup instead of a TLS handshake each. Run by
 * the leader's ProxySync: it probes the proxy (a handshake with SNI, what
 * Caddy really serves) for new domains, for all after a config load, for
 * pending/failed ones with backoff and for valid ones periodically (renewals),
 * and writes each result with its schedule, so a new leader carries on.
 * Like CPU samples this is an observation, not an event: lost, it is simply
 * observed again (shown as `pending` until then).
 */
export class CertificateMonitor {
  private readonly records = new Map<string, CertificateRecord>();
  private loaded = false;
  private running = false;
  private configChanged = false;
  private domains: string[] = [];

  constructor(
    private readonly db: Db,
    private readonly table: string,
    private readonly probe: (domain: string) => Promise<ServedCertificate>,
    private readonly policy: CertificateCheckPolicy,
    private readonly log: (m: string) => void,
    private readonly concurrency = 8,
  ) {}

  /** Never waits for handshakes: the route sync that calls this must stay fast. */
  kick(domains: string[], configChanged: boolean): void {
    this.domains = domains;
    if (configChanged) this.configChanged = true;
    if (this.running) return;
    this.running = true;
    this.check()
      .catch((err: Error) => this.log(`certificate check: ${err.message}`))
      .finally(() => {
        this.running = false;
      });
  }

  /** One pass (exported for tests); kick() is the way in. */
  async check(): Promise<void> {
    if (!this.loaded) {
      const rows: Row[] = await this.db.query(`SELECT domain, status, expires_at, checked_at, next_check_at, attempts FROM ${this.table}`);
      for (const r of rows) {
        this.records.set(r.domain, {
          domain: r.domain,
          status: r.status,
          expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
          checkedAt: new Date(r.checked_at).toISOString(),
          nextCheckAt: new Date(r.next_check_at).toISOString(),
          attempts: r.attempts,
        });
      }
      this.loaded = true;
    }
    const changed = this.configChanged;
    this.configChanged = false;
    const domains = this.domains;
    const wanted = new Set(domains);
    const gone = [...this.records.keys()].filter((d) => !wanted.has(d));
    if (gone.length) {
      await this.db.query(`DELETE FROM ${this.table} WHERE domain = ANY($1::text[])`, [gone]);
      for (const d of gone) this.records.delete(d);
    }
    const due = dueForCheck(domains, this.records, new Date(), changed);
    for (let i = 0; i < due.length; i += this.concurrency) {
      await Promise.all(due.slice(i, i + this.concurrency).map((d) => this.checkOne(d)));
    }
  }

  private async checkOne(domain: string): Promise<void> {
    const observed = await this.probe(domain);
    const previous = this.records.get(domain);
    const next = recordProbe(previous, domain, observed, new Date(), this.policy);
    await this.db.query(
      `INSERT INTO ${this.table} (domain, status, expires_at, checked_at, next_check_at, attempts) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (domain) DO UPDATE SET status = EXCLUDED.status, expires_at = EXCLUDED.expires_at, checked_at = EXCLUDED.checked_at,
          next_check_at = EXCLUDED.next_check_at, attempts = EXCLUDED.attempts`,
      [domain, next.status, next.expiresAt, next.checkedAt, next.nextCheckAt, next.attempts],
    );
    this.records.set(domain, next);
    if (shownChanged(previous, next)) {
      this.log(`certificate of ${domain}: ${previous?.status ?? 'unchecked'} → ${next.status}${next.expiresAt ? ` (expires ${next.expiresAt})` : ''}`);
    }
  }
}
