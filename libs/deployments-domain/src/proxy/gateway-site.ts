import type { ProxyRoute } from './caddy-config';

/**
 * Slipway's own site (SLIPWAY_DOMAIN) on the proxy: one HTTPS route for the
 * whole host to the gateway process(es), so buildCaddyConfig gives it the
 * same 301 from HTTP, HSTS and certificate policy (internal CA for test TLDs
 * or with ACME off, ACME otherwise) as any application domain. Pure.
 *
 * Unlike an application's route:
 * - no passive health check on status codes: the gateway's own 503 (a
 *   dependency outage, named) must reach the client as it is, not take the
 *   only upstream out of rotation;
 * - responses are flushed at once (`flush_interval` -1), so SSE log streams
 *   arrive line by line; WebSocket upgrades (`/api/ws`, log URLs) pass through
 *   Caddy's reverse proxy as they are;
 * - Caddy sets X-Forwarded-For/-Proto/-Host (the gateway trusts them with
 *   TRUST_PROXY=true).
 */
export function gatewayRoute(domain: string, upstreams: string[]): ProxyRoute {
  const handler =
    upstreams.length === 0
      ? { handler: 'static_response', status_code: 503, body: 'the gateway has no address yet\n', headers: { 'Retry-After': ['5'] } }
      : {
          handler: 'reverse_proxy',
          upstreams: upstreams.map((dial) => ({ dial })),
          flush_interval: -1,
          // A gateway restarting (or one replica of several down) costs a retry, not a failed request.
          load_balancing: { selection_policy: { policy: 'round_robin' }, try_duration: '5s', try_interval: '250ms' },
        };
  return { domain, path: '/', https: true, upstreams, handler };
}

/** The host as a Swarm task sees it: the gateway of docker_gwbridge, the bridge every task with an overlay network leaves by. */
export function defaultGatewayUpstream(gwbridge: { IPAM?: { Config?: Array<{ Gateway?: string }> } } | undefined, port: number): string | undefined {
  const ip = gwbridge?.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  return ip ? `${ip}:${port}` : undefined;
}
