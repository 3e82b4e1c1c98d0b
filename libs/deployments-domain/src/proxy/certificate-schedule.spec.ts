import { dueForCheck, recordProbe, shownChanged, type CertificateRecord } from './certificate-schedule';

const policy = { retryBaseMs: 1000, retryMaxMs: 60_000, recheckMs: 3_600_000 };
const now = new Date('2026-01-01T00:00:00.000Z');
const later = (ms: number) => new Date(now.getTime() + ms);
const pending = { status: 'pending' as const, expiresAt: null };
const valid = (expiresAt = '2026-03-01T00:00:00.000Z') => ({ status: 'valid' as const, expiresAt });

describe('dueForCheck', () => {
  const records = new Map<string, CertificateRecord>([
    ['due.test', { domain: 'due.test', status: 'pending', expiresAt: null, checkedAt: now.toISOString(), nextCheckAt: later(-1).toISOString(), attempts: 1 }],
    ['later.test', { domain: 'later.test', status: 'valid', expiresAt: null, checkedAt: now.toISOString(), nextCheckAt: later(60_000).toISOString(), attempts: 0 }],
  ]);

  it('given a domain never checked or due, then it is probed; one checked recently is not', () => {
    expect(dueForCheck(['new.test', 'due.test', 'later.test'], records, now, false)).toEqual(['new.test', 'due.test']);
  });

  it('given the proxy config changed, then every domain is probed (once each)', () => {
    expect(dueForCheck(['later.test', 'due.test', 'later.test'], records, now, true)).toEqual(['later.test', 'due.test']);
  });
});

describe('recordProbe', () => {
  it('given no certificate served yet, then pending is retried with doubling backoff up to the cap', () => {
    let r = recordProbe(undefined, 'a.test', pending, now, policy);
    expect(r).toMatchObject({ status: 'pending', attempts: 1, nextCheckAt: later(1000).toISOString() });
    r = recordProbe(r, 'a.test', pending, now, policy);
    expect(r).toMatchObject({ attempts: 2, nextCheckAt: later(2000).toISOString() });
    for (let i = 0; i < 20; i++) r = recordProbe(r, 'a.test', pending, now, policy);
    expect(r.nextCheckAt).toBe(later(60_000).toISOString());
  });

  it('given a valid certificate, then the backoff resets and it is checked again after recheckMs', () => {
    const before = recordProbe(recordProbe(undefined, 'a.test', pending, now, policy), 'a.test', pending, now, policy);
    const r = recordProbe(before, 'a.test', valid(), now, policy);
    expect(r).toMatchObject({ status: 'valid', expiresAt: '2026-03-01T00:00:00.000Z', attempts: 0, nextCheckAt: later(3_600_000).toISOString() });
  });

  it('given a valid certificate expiring before the next periodic check, then it is checked at its expiry', () => {
    const r = recordProbe(undefined, 'a.test', valid(later(600_000).toISOString()), now, policy);
    expect(r.nextCheckAt).toBe(later(600_000).toISOString());
  });

  it('given a failed certificate after a valid one, then it is retried from the first backoff step', () => {
    const ok = recordProbe(undefined, 'a.test', valid(), now, policy);
    const r = recordProbe(ok, 'a.test', { status: 'failed', expiresAt: '2025-12-31T00:00:00.000Z' }, now, policy);
    expect(r).toMatchObject({ status: 'failed', expiresAt: '2025-12-31T00:00:00.000Z', attempts: 1, nextCheckAt: later(1000).toISOString() });
  });
});

describe('shownChanged', () => {
  it('is true for a first record, a new status or a renewal, false for the same one checked again', () => {
    const a = recordProbe(undefined, 'a.test', valid(), now, policy);
    expect(shownChanged(undefined, a)).toBe(true);
    expect(shownChanged(a, recordProbe(a, 'a.test', valid(), later(5000), policy))).toBe(false);
    expect(shownChanged(a, recordProbe(a, 'a.test', valid('2026-06-01T00:00:00.000Z'), later(5000), policy))).toBe(true);
    expect(shownChanged(a, recordProbe(a, 'a.test', pending, later(5000), policy))).toBe(true);
  });
});
