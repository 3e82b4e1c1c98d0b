import { RequestAggregator, parseAccessLine, withAccessLog, type AccessEntry } from './access-log';
import { buildCaddyConfig } from './caddy-config';

/** A line as Caddy 2.6 writes it (captured from slipway-test/caddy:2). */
const line = (o: { ts?: number; host?: string; status?: number; logger?: string; duration?: number } = {}) =>
  JSON.stringify({
    level: 'error',
    ts: o.ts ?? 1796239859.4010704,
    logger: o.logger ?? 'http.log.access.slipway_access',
    msg: 'handled request',
    request: { remote_ip: '172.17.0.1', remote_port: '53208', proto: 'HTTP/1.1', method: 'GET', host: o.host ?? 'a.test', uri: '/x', headers: { Accept: ['*/*'] } },
    user_id: '',
    duration: o.duration ?? 0.000016473,
    size: 1,
    status: o.status ?? 500,
    resp_headers: { Server: ['Caddy'] },
  });

describe('parseAccessLine', () => {
  it('given an access log line, when parsed, then it gives the time, host, status and duration', () => {
    expect(parseAccessLine(line())).toEqual({ ts: 1796239859.4010704, host: 'a.test', status: 500, durationSeconds: 0.000016473 });
  });

  it('given a Host with a port or upper case, when parsed, then the host is the bare lower-case name', () => {
    expect(parseAccessLine(line({ host: 'App.Example.COM:8443' }))?.host).toBe('app.example.com');
  });

  it("given Caddy's other logs, plain text or broken JSON, when parsed, then nothing is counted", () => {
    expect(parseAccessLine(line({ logger: 'tls.obtain' }))).toBeUndefined();
    expect(parseAccessLine('2026/12/02 19:30:00 [INFO] serving')).toBeUndefined();
    expect(parseAccessLine('{"logger":"http.log.access.slipway_access",')).toBeUndefined();
    expect(parseAccessLine(line({ status: 0 }))).toBeUndefined();
  });
});

describe('RequestAggregator', () => {
  const owners = (host: string) => (host === 'app.test' ? { applicationId: 'app', preview: 0 } : host === 'pr-7.app.test' ? { applicationId: 'app', preview: 7 } : undefined);
  const entry = (ts: number, status: number, host = 'app.test'): AccessEntry => ({ ts, host, status, durationSeconds: 0.5 });
  const minute = 1796239800; // a whole minute

  it('given requests in two minutes, when drained, then they are counted per owner, minute and status class', () => {
    const agg = new RequestAggregator();
    for (const e of [entry(minute + 1, 200), entry(minute + 2, 204), entry(minute + 3, 502), entry(minute + 61, 200), entry(minute + 62, 200, 'pr-7.app.test')]) agg.add(e, owners);
    const { buckets, lastTs } = agg.drain();
    expect(lastTs).toBe(minute + 62);
    const at = (s: number) => new Date(s * 1000).toISOString();
    expect(buckets).toEqual(
      expect.arrayContaining([
        { applicationId: 'app', preview: 0, minute: at(minute), statusClass: '2xx', requests: 2, durationSeconds: 1 },
        { applicationId: 'app', preview: 0, minute: at(minute), statusClass: '5xx', requests: 1, durationSeconds: 0.5 },
        { applicationId: 'app', preview: 0, minute: at(minute + 60), statusClass: '2xx', requests: 1, durationSeconds: 0.5 },
        { applicationId: 'app', preview: 7, minute: at(minute + 60), statusClass: '2xx', requests: 1, durationSeconds: 0.5 },
      ]),
    );
    expect(buckets).toHaveLength(4);
    expect(agg.drain().buckets).toEqual([]);
  });

  it('given a resume point, when a follow repeats older lines, then they are not counted again', () => {
    const agg = new RequestAggregator(minute + 2.5);
    expect(agg.add(entry(minute + 2, 200), owners)).toBe(false);
    expect(agg.add(entry(minute + 2.5, 200), owners)).toBe(false);
    expect(agg.add(entry(minute + 3, 200), owners)).toBe(true);
    expect(agg.drain().buckets.map((b) => b.requests)).toEqual([1]);
  });

  it('given a host no application owns, when added, then it is dropped but still moves the resume point', () => {
    const agg = new RequestAggregator();
    expect(agg.add(entry(minute + 5, 404, 'unknown.test'), owners)).toBe(false);
    expect(agg.drain()).toEqual({ buckets: [], lastTs: minute + 5 });
  });

  it('given a failed store, when restored, then the next drain has the counts again, merged with new ones', () => {
    const agg = new RequestAggregator();
    agg.add(entry(minute + 1, 200), owners);
    const first = agg.drain();
    agg.add(entry(minute + 2, 200), owners);
    agg.restore(first.buckets);
    expect(agg.drain().buckets).toEqual([expect.objectContaining({ statusClass: '2xx', requests: 2 })]);
  });
});

describe('withAccessLog', () => {
  it('given the routes config, when access logging is added, then every server logs to the JSON stdout logger and the default log leaves it out', () => {
    const config = withAccessLog(buildCaddyConfig([{ domain: 'a.test', path: '/', upstreams: ['10.0.0.2:80'], https: true }], { adminListen: 'unix//x.sock', acme: { enabled: false } }));
    const servers = (config.apps as any).http.servers;
    expect(Object.keys(servers).sort()).toEqual(['http', 'https']);
    for (const s of Object.values<any>(servers)) expect(s.logs).toEqual({ default_logger_name: 'slipway_access' });
    expect((config as any).logging.logs.slipway_access).toEqual({ writer: { output: 'stdout' }, encoder: { format: 'json' }, include: ['http.log.access.slipway_access'] });
    expect((config as any).logging.logs.default.exclude).toEqual(['http.log.access.slipway_access']);
    // The routes and TLS policies are untouched.
    expect(servers.https.routes).toEqual((buildCaddyConfig([{ domain: 'a.test', path: '/', upstreams: ['10.0.0.2:80'], https: true }], { adminListen: 'unix//x.sock', acme: { enabled: false } }).apps as any).http.servers.https.routes);
    expect((config.apps as any).tls.automation.policies).toHaveLength(1);
  });
});
