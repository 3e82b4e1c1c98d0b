/**
 * The whole Caddy configuration (JSON, loaded with POST /load) for a set of
 * routes. Pure: the proxy component computes routes and upstreams from the
 * engine and this turns them into Caddy's config, so every rule is unit-tested.
 *
 * - :443 serves the routes (host + path prefix) with HSTS and a reverse proxy
 *   to the application's healthy task addresses, round robin; a failed dial is
 *   retried on another upstream for `tryDuration` (a task that stops between
 *   two config loads never costs a request);
 * - :80 answers 301 to https for every routed host (Caddy's own redirect is a
 *   308; the contract says 301) and 404 for any other host; ACME's HTTP-01
 *   challenges are answered before routes by Caddy itself;
 * - certificates: hosts under internal TLDs (.localhost, .test, .internal,
 *   .local, .example, .invalid) and every host when ACME is off come from
 *   Caddy's internal CA (root at GET /pki/ca/local); the others from ACME.
 */
export interface ProxyRoute {
  domain: string;
  /** Path prefix, '/' for the whole host. */
  path: string;
  /** host:port of the application's healthy tasks; empty → 503 from the proxy. */
  upstreams: string[];
  https: boolean;
  /** A handler of its own instead of an application's reverse proxy (Slipway's own site, gateway-site.ts). */
  handler?: Record<string, unknown>;
}

export interface CaddyConfigOptions {
  /** `unix//path/to/admin.sock` or host:port. */
  adminListen: string;
  acme: { enabled: boolean; email?: string; ca?: string };
  /** Seconds Caddy keeps retrying other upstreams when a dial fails. */
  tryDurationSeconds?: number;
}

export const ADMIN_HOST = 'slipway-proxy';

const INTERNAL_TLDS = ['localhost', 'test', 'internal', 'local', 'example', 'invalid'];

export function isInternalDomain(domain: string): boolean {
  const tld = domain.toLowerCase().split('.').pop() ?? '';
  return INTERNAL_TLDS.includes(tld);
}

function pathMatcher(path: string): string[] {
  if (path === '/' || path === '') return [];
  const base = path.endsWith('/') ? path.slice(0, -1) : path;
  return [base, `${base}/*`];
}

/** Longer (more specific) path prefixes first, then by domain, so the order is stable. */
function sorted(routes: ProxyRoute[]): ProxyRoute[] {
  return [...routes].sort((a, b) => (a.domain === b.domain ? b.path.length - a.path.length : a.domain < b.domain ? -1 : 1));
}

function proxyHandler(route: ProxyRoute, tryDuration: number): Record<string, unknown> {
  if (route.upstreams.length === 0) {
    return { handler: 'static_response', status_code: 503, body: 'no healthy task\n', headers: { 'Retry-After': ['5'] } };
  }
  return {
    handler: 'reverse_proxy',
    upstreams: route.upstreams.map((dial) => ({ dial })),
    load_balancing: { selection_policy: { policy: 'round_robin' }, try_duration: `${tryDuration}s`, try_interval: '100ms' },
    health_checks: { passive: { fail_duration: '5s', max_fails: 1, unhealthy_status: [502, 503, 504] } },
  };
}

function match(route: ProxyRoute): Array<Record<string, unknown>> {
  const paths = pathMatcher(route.path);
  return [{ host: [route.domain], ...(paths.length ? { path: paths } : {}) }];
}

export function buildCaddyConfig(routes: ProxyRoute[], options: CaddyConfigOptions): Record<string, unknown> {
  const tryDuration = options.tryDurationSeconds ?? 5;
  const ordered = sorted(routes);
  const secure = ordered.filter((r) => r.https);
  const plain = ordered.filter((r) => !r.https);
  const hsts = { handler: 'headers', response: { set: { 'Strict-Transport-Security': ['max-age=31536000'] } } };
  const notFound = { handle: [{ handler: 'static_response', status_code: 404, body: 'no such domain\n' }], terminal: true };

  const httpsRoutes = secure.map((r) => ({ match: match(r), handle: [hsts, r.handler ?? proxyHandler(r, tryDuration)], terminal: true }));
  const redirectHosts = [...new Set(secure.map((r) => r.domain))];
  const httpRoutes = [
    ...plain.map((r) => ({ match: match(r), handle: [r.handler ?? proxyHandler(r, tryDuration)], terminal: true })),
    ...(redirectHosts.length
      ? [
          {
            match: [{ host: redirectHosts }],
            handle: [{ handler: 'static_response', status_code: 301, headers: { Location: ['https://{http.request.host}{http.request.uri}'] } }],
            terminal: true,
          },
        ]
      : []),
    notFound,
  ];

  const internal = { module: 'internal' };
  const policies: Array<Record<string, unknown>> = [];
  const internalHosts = redirectHosts.filter((d) => !options.acme.enabled || isInternalDomain(d));
  const acmeHosts = redirectHosts.filter((d) => !internalHosts.includes(d));
  if (internalHosts.length) policies.push({ subjects: internalHosts, issuers: [internal] });
  if (acmeHosts.length) {
    policies.push({
      subjects: acmeHosts,
      issuers: [{ module: 'acme', ...(options.acme.email ? { email: options.acme.email } : {}), ...(options.acme.ca ? { ca: options.acme.ca } : {}) }],
    });
  }

  return {
    // Caddy checks the Host of every admin request; Slipway sends this one (see CaddyAdmin).
    admin: { listen: options.adminListen, origins: [ADMIN_HOST] },
    apps: {
      http: {
        servers: {
          https: {
            listen: [':443'],
            routes: [...httpsRoutes, notFound],
            // Redirects are ours (301); Caddy still answers ACME HTTP-01 on :80.
            automatic_https: { disable_redirects: true },
          },
          http: { listen: [':80'], routes: httpRoutes },
        },
      },
      ...(policies.length ? { tls: { automation: { policies } } } : {}),
    },
  };
}
