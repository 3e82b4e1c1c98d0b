import type { FastifyInstance } from 'fastify';
import { httpRequestSeconds, httpRequests, startProcessMetrics } from '@slipway/metrics';

/**
 * Counts and times every HTTP request by method, route pattern
 * (`/api/applications/:id`, never the raw URL: ids would explode the label
 * set) and status. Requests no route matched count as `unmatched`.
 */
export function installHttpMetrics(fastify: FastifyInstance): void {
  startProcessMetrics('gateway');
  const requests = httpRequests();
  const seconds = httpRequestSeconds();
  fastify.addHook('onResponse', async (req, reply) => {
    const labels = { method: req.method, route: req.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) };
    requests.inc(labels);
    seconds.observe(labels, reply.elapsedTime / 1000);
  });
}
