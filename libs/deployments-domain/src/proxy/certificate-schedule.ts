import type { CertificateCheckPolicy } from '../config';
import type { ServedCertificate } from './certificates';

/**
 * The certificate status of one domain as last observed on the proxy, and
 * when to look again. Pure: CertificateMonitor probes and stores, this
 * decides what a probe means and when the next one is due.
 */
export interface CertificateRecord {
  domain: string;
  status: ServedCertificate['status'];
  expiresAt: string | null;
  checkedAt: string;
  nextCheckAt: string;
  /** Consecutive probes that did not find a valid certificate (the backoff exponent). */
  attempts: number;
}

/**
 * The domains to probe now: those never checked, every one after the
 * proxy's config changed (a route or TLS policy may have changed what is
 * served), and those whose next check is due.
 */
export function dueForCheck(domains: readonly string[], records: ReadonlyMap<string, CertificateRecord>, now: Date, configChanged: boolean): string[] {
  return [...new Set(domains)].filter((d) => {
    const r = records.get(d);
    return !r || configChanged || Date.parse(r.nextCheckAt) <= now.getTime();
  });
}

/**
 * The record after a probe. `pending`/`failed` are retried with exponential
 * backoff (Caddy obtains a certificate in the background; an ACME failure
 * is retried by Caddy too, so ours only looks again); `valid` is checked
 * again every `recheckMs` — a renewal shows as a later expiresAt — and at the
 * latest when it expires.
 */
export function recordProbe(previous: CertificateRecord | undefined, domain: string, observed: ServedCertificate, now: Date, policy: CertificateCheckPolicy): CertificateRecord {
  const at = now.getTime();
  if (observed.status === 'valid') {
    const expiry = observed.expiresAt ? Date.parse(observed.expiresAt) : Number.POSITIVE_INFINITY;
    const next = Math.max(at + policy.retryBaseMs, Math.min(at + policy.recheckMs, expiry));
    return { domain, status: 'valid', expiresAt: observed.expiresAt, checkedAt: now.toISOString(), nextCheckAt: new Date(next).toISOString(), attempts: 0 };
  }
  const attempts = (previous && previous.status !== 'valid' ? previous.attempts : 0) + 1;
  const delay = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.min(attempts - 1, 30));
  return { domain, status: observed.status, expiresAt: observed.expiresAt, checkedAt: now.toISOString(), nextCheckAt: new Date(at + delay).toISOString(), attempts };
}

/** Whether what a read shows changed (status or expiry), i.e. worth a write and a log line. */
export function shownChanged(previous: CertificateRecord | undefined, next: CertificateRecord): boolean {
  return !previous || previous.status !== next.status || previous.expiresAt !== next.expiresAt;
}
