import { loadDeploymentsConfig } from '../config';
import { buildCaddyConfig, isInternalDomain, type ProxyRoute } from './caddy-config';

type Json = Record<string, any>;

const route = (over: Partial<ProxyRoute> = {}): ProxyRoute => ({ domain: 'a.example.com', path: '/', upstreams: ['10.0.0.2:8080'], https: true, ...over });
const build = (routes: ProxyRoute[], acme = { enabled: true, email: 'ops@example.com' }) =>
  buildCaddyConfig(routes, { adminListen: 'unix//run/slipway-proxy/admin.sock', acme }) as Json;

describe('buildCaddyConfig', () => {
  it('routes https hosts to their upstreams with HSTS, round robin and retries on another upstream', () => {
    const cfg = build([route({ upstreams: ['10.0.0.3:8080', '10.0.0.2:8080'] })]);
    const [r, notFound] = cfg.apps.http.servers.https.routes;
    expect(r.match).toEqual([{ host: ['a.example.com'] }]);
    expect(r.handle[0].response.set['Strict-Transport-Security'][0]).toMatch(/max-age=\d+/);
    expect(r.handle[1].handler).toBe('reverse_proxy');
    expect(r.handle[1].upstreams).toEqual([{ dial: '10.0.0.3:8080' }, { dial: '10.0.0.2:8080' }]);
    expect(r.handle[1].load_balancing.selection_policy.policy).toBe('round_robin');
    expect(r.handle[1].load_balancing.try_duration).toBe('5s');
    expect(notFound.handle[0].status_code).toBe(404);
    expect(cfg.apps.http.servers.https.automatic_https).toEqual({ disable_redirects: true });
  });

  it('answers 301 to https on :80 for routed hosts and 404 for others', () => {
    const cfg = build([route()]);
    const [redirect, notFound] = cfg.apps.http.servers.http.routes;
    expect(redirect.match).toEqual([{ host: ['a.example.com'] }]);
    expect(redirect.handle[0].status_code).toBe(301);
    expect(redirect.handle[0].headers.Location).toEqual(['https://{http.request.host}{http.request.uri}']);
    expect(notFound.handle[0].status_code).toBe(404);
  });

  it('matches a path prefix with and without the trailing part, longest prefix first', () => {
    const cfg = build([route({ path: '/' }), route({ path: '/api/' })]);
    const routes = cfg.apps.http.servers.https.routes;
    expect(routes[0].match).toEqual([{ host: ['a.example.com'], path: ['/api', '/api/*'] }]);
    expect(routes[1].match).toEqual([{ host: ['a.example.com'] }]);
  });

  it('answers 503 when an application has no healthy task', () => {
    const cfg = build([route({ upstreams: [] })]);
    expect(cfg.apps.http.servers.https.routes[0].handle[1]).toMatchObject({ handler: 'static_response', status_code: 503 });
  });

  it('serves non-https routes on :80 without a redirect', () => {
    const cfg = build([route({ https: false })]);
    expect(cfg.apps.http.servers.http.routes[0].handle[0].handler).toBe('reverse_proxy');
    expect(cfg.apps.http.servers.http.routes).toHaveLength(2);
    expect(cfg.apps.tls).toBeUndefined();
  });

  it('issues from ACME for public names and from the internal CA for test names, or for all when ACME is off', () => {
    const routes = [route(), route({ domain: 'b.slipway.localhost' })];
    expect(build(routes).apps.tls.automation.policies).toEqual([
      { subjects: ['b.slipway.localhost'], issuers: [{ module: 'internal' }] },
      { subjects: ['a.example.com'], issuers: [{ module: 'acme', email: 'ops@example.com' }] },
    ]);
    expect(build(routes, { enabled: false, email: '' }).apps.tls.automation.policies).toEqual([
      { subjects: ['a.example.com', 'b.slipway.localhost'], issuers: [{ module: 'internal' }] },
    ]);
  });

  it('keeps the admin API on its socket with Slipway\'s Host as the only origin', () => {
    expect(build([]).admin).toEqual({ listen: 'unix//run/slipway-proxy/admin.sock', origins: ['slipway-proxy'] });
  });
});

describe('isInternalDomain', () => {
  it.each([
    ['app.localhost', true],
    ['x.test', true],
    ['example.com', false],
    ['a.b.internal', true],
  ])('%s → %s', (d, want) => expect(isInternalDomain(d)).toBe(want));
});

describe('proxy configuration', () => {
  it('is off by default; on with ports, image and ACME settings from the environment', () => {
    expect(loadDeploymentsConfig({}).proxy.enabled).toBe(false);
    const on = loadDeploymentsConfig({ SLIPWAY_PROXY: 'on', SLIPWAY_PROXY_HTTP_PORT: '8080', SLIPWAY_ACME: 'off', SLIPWAY_ACME_EMAIL: 'a@b.c' }).proxy;
    expect(on).toMatchObject({ enabled: true, image: 'caddy:2', httpPort: 8080, httpsPort: 443, acme: { enabled: false, email: 'a@b.c' } });
    expect(() => loadDeploymentsConfig({ SLIPWAY_PROXY: 'maybe' })).toThrow(/SLIPWAY_PROXY must be on or off/);
  });
});
