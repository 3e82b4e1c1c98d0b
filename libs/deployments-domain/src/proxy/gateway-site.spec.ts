import { loadDeploymentsConfig } from '../config';
import { buildCaddyConfig, type ProxyRoute } from './caddy-config';
import { defaultGatewayUpstream, gatewayRoute } from './gateway-site';

type Json = Record<string, any>;

const app: ProxyRoute = { domain: 'app.example.com', path: '/', upstreams: ['10.0.0.2:8080'], https: true };
const build = (routes: ProxyRoute[], acme: { enabled: boolean } = { enabled: true }) =>
  buildCaddyConfig(routes, { adminListen: 'unix//run/slipway-proxy/admin.sock', acme }) as Json;

describe("Slipway's own site on the proxy", () => {
  it('given SLIPWAY_DOMAIN, when the config is built, then its host goes to the gateway over HTTPS with HSTS, flushed at once, no status-based health check', () => {
    const cfg = build([gatewayRoute('slipway.example.com', ['172.18.0.1:3000']), app]);
    const routes = cfg.apps.http.servers.https.routes;
    const own = routes.find((r: Json) => r.match?.[0].host[0] === 'slipway.example.com');
    expect(own.match).toEqual([{ host: ['slipway.example.com'] }]);
    expect(own.handle[0].response.set['Strict-Transport-Security'][0]).toMatch(/max-age=\d+/);
    const proxy = own.handle[1];
    expect(proxy.handler).toBe('reverse_proxy');
    expect(proxy.upstreams).toEqual([{ dial: '172.18.0.1:3000' }]);
    expect(proxy.flush_interval).toBe(-1);
    expect(proxy.health_checks).toBeUndefined();
    // The application's route keeps its own handler.
    expect(routes.find((r: Json) => r.match?.[0].host[0] === 'app.example.com').handle[1].health_checks.passive).toBeDefined();
  });

  it('given SLIPWAY_DOMAIN, when HTTP is asked, then it answers 301 (HTTPS only)', () => {
    const cfg = build([gatewayRoute('slipway.example.com', ['172.18.0.1:3000'])]);
    const [redirect] = cfg.apps.http.servers.http.routes;
    expect(redirect.match).toEqual([{ host: ['slipway.example.com'] }]);
    expect(redirect.handle[0].status_code).toBe(301);
    expect(cfg.apps.http.servers.http.routes.some((r: Json) => r.handle[0].handler === 'reverse_proxy')).toBe(false);
  });

  it('given a public or a test name, then its certificate comes from ACME or from the internal CA', () => {
    expect(build([gatewayRoute('slipway.example.com', ['h:1'])]).apps.tls.automation.policies).toEqual([{ subjects: ['slipway.example.com'], issuers: [{ module: 'acme' }] }]);
    expect(build([gatewayRoute('slipway.test', ['h:1'])]).apps.tls.automation.policies).toEqual([{ subjects: ['slipway.test'], issuers: [{ module: 'internal' }] }]);
    expect(build([gatewayRoute('slipway.example.com', ['h:1'])], { enabled: false }).apps.tls.automation.policies[0].issuers).toEqual([{ module: 'internal' }]);
  });

  it('given no gateway address yet, then the site answers 503 instead of dialing nowhere', () => {
    const r = gatewayRoute('slipway.example.com', []);
    expect(r.handler).toMatchObject({ handler: 'static_response', status_code: 503 });
  });

  it('finds the host as a Swarm task sees it: the gateway of docker_gwbridge', () => {
    expect(defaultGatewayUpstream({ IPAM: { Config: [{ Gateway: '172.18.0.1' }] } }, 3000)).toBe('172.18.0.1:3000');
    expect(defaultGatewayUpstream({ IPAM: { Config: [] } }, 3000)).toBeUndefined();
    expect(defaultGatewayUpstream(undefined, 3000)).toBeUndefined();
  });
});

describe('SLIPWAY_DOMAIN settings', () => {
  it('normalizes the domain to punycode and reads upstreams and the gateway port', () => {
    const c = loadDeploymentsConfig({ SLIPWAY_DOMAIN: 'Slipway.Bücher.example', SLIPWAY_DOMAIN_UPSTREAM: '10.0.0.1:3000, 10.0.0.2:3000', PORT: '4000' }).proxy;
    expect(c.selfDomain).toBe('slipway.xn--bcher-kva.example');
    expect(c.selfUpstreams).toEqual(['10.0.0.1:3000', '10.0.0.2:3000']);
    expect(c.gatewayPort).toBe(4000);
  });

  it('has no own domain by default, and refuses a wildcard or a malformed upstream at start', () => {
    expect(loadDeploymentsConfig({}).proxy.selfDomain).toBeUndefined();
    expect(loadDeploymentsConfig({}).proxy.selfUpstreams).toEqual([]);
    expect(() => loadDeploymentsConfig({ SLIPWAY_DOMAIN: '*.example.com' })).toThrow(/SLIPWAY_DOMAIN/);
    expect(() => loadDeploymentsConfig({ SLIPWAY_DOMAIN_UPSTREAM: 'gateway' })).toThrow(/SLIPWAY_DOMAIN_UPSTREAM/);
  });
});
