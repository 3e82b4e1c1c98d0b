import { Webhook } from 'standardwebhooks';
import { isPrivateAddress, guardedLookup, refusedLiteral, PrivateAddressError } from './outgoing-address-guard';
import { DEFAULT_BACKOFF_MS, parseBackoff, retryDelayMs } from './outgoing-backoff';
import { signStandardWebhook, standardWebhookHeaders, webhookBody } from './outgoing-signature';
import { generateEndpointSecret } from './endpoints-app';

describe('Standard Webhooks signature', () => {
  it('given a signed body, when the standardwebhooks library verifies it, then it verifies and yields the payload', () => {
    const secret = generateEndpointSecret();
    const body = webhookBody('evt-1', 'deployment.succeeded', '2026-01-01T00:00:00.000Z', { deploymentId: 'd' });
    const headers = standardWebhookHeaders(secret, 'evt-1', Math.floor(Date.now() / 1000), body);
    expect(new Webhook(secret).verify(body, headers)).toEqual({ id: 'evt-1', type: 'deployment.succeeded', timestamp: '2026-01-01T00:00:00.000Z', data: { deploymentId: 'd' } });
  });

  it('matches the library’s own signature byte for byte', () => {
    const secret = generateEndpointSecret();
    const at = new Date('2026-01-01T00:00:00Z');
    expect(signStandardWebhook(secret, 'msg_1', Math.floor(at.getTime() / 1000), '{"a":1}')).toBe(new Webhook(secret).sign('msg_1', at, '{"a":1}'));
  });

  it('given another secret, a changed body or a stale timestamp, then the library refuses it', () => {
    const secret = generateEndpointSecret();
    const body = webhookBody('evt-1', 'x.y', 'now', {});
    const headers = standardWebhookHeaders(secret, 'evt-1', Math.floor(Date.now() / 1000), body);
    expect(() => new Webhook(generateEndpointSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('x.y', 'x.z'), headers)).toThrow();
    const stale = standardWebhookHeaders(secret, 'evt-1', Math.floor(Date.now() / 1000) - 3600, body);
    expect(() => new Webhook(secret).verify(body, stale)).toThrow();
  });
});

describe('backoff schedule', () => {
  it('by default retries after about 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 3 h, about a day in all', () => {
    expect(DEFAULT_BACKOFF_MS.slice(0, 6)).toEqual([5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000]);
    const total = DEFAULT_BACKOFF_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(20 * 3_600_000);
    expect(total).toBeLessThan(30 * 3_600_000);
  });

  it('jitters each delay within ±20 % and ends when the schedule is spent', () => {
    expect(retryDelayMs([1000], 1, () => 0)).toBe(800);
    expect(retryDelayMs([1000], 1, () => 0.5)).toBe(1000);
    expect(retryDelayMs([1000], 1, () => 0.9999)).toBeLessThanOrEqual(1200);
    expect(retryDelayMs([1000], 2)).toBeUndefined();
  });

  it('parses a configured schedule and ignores a malformed one', () => {
    expect(parseBackoff('100, 200,300')).toEqual([100, 200, 300]);
    expect(parseBackoff('100,abc')).toBe(DEFAULT_BACKOFF_MS);
    expect(parseBackoff(undefined)).toBe(DEFAULT_BACKOFF_MS);
  });
});

describe('private address guard', () => {
  it('classifies loopback, private, link-local and mapped addresses as private, public ones not', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::']) {
      expect([a, isPrivateAddress(a)]).toEqual([a, true]);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect([a, isPrivateAddress(a)]).toEqual([a, false]);
  });

  it('given a name that resolves to a private address, when the flag is off, then the lookup fails (the resolved address is checked, not the name)', async () => {
    const resolveTo = (address: string) => ((_h: string, _o: object, cb: (e: null, a: string, f: number) => void) => cb(null, address, 4)) as never;
    const lookup = (allow: boolean, address: string) =>
      new Promise<{ err: Error | null; address: unknown }>((resolve) => guardedLookup(allow, resolveTo(address))('hooks.example.com', {}, (err, a) => resolve({ err, address: a })));
    expect((await lookup(false, '10.0.0.5')).err).toBeInstanceOf(PrivateAddressError);
    expect(await lookup(false, '93.184.216.34')).toEqual({ err: null, address: '93.184.216.34' });
    expect(await lookup(true, '10.0.0.5')).toEqual({ err: null, address: '10.0.0.5' });
  });

  it('given all answers (autoSelectFamily), when any is private, then refused', async () => {
    const all = ((_h: string, _o: object, cb: (e: null, a: unknown) => void) => cb(null, [{ address: '93.184.216.34', family: 4 }, { address: '::1', family: 6 }])) as never;
    const err = await new Promise((resolve) => guardedLookup(false, all)('x.example.com', { all: true }, (e) => resolve(e)));
    expect(err).toBeInstanceOf(PrivateAddressError);
  });

  it('checks IP literals in the URL, which never go through lookup', () => {
    expect(refusedLiteral('127.0.0.1', false)).toBeInstanceOf(PrivateAddressError);
    expect(refusedLiteral('[::1]', false)).toBeInstanceOf(PrivateAddressError);
    expect(refusedLiteral('127.0.0.1', true)).toBeUndefined();
    expect(refusedLiteral('hooks.example.com', false)).toBeUndefined();
  });
});
