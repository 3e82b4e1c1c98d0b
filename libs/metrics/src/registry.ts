import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * One registry per process. Every lib that measures something (the event
 * store, the bus, the gateway's HTTP layer, the deployments service) registers
 * its instruments here, and the process serves the whole registry as text —
 * the gateway over HTTP, the services over NATS (`<service>.query.metrics`),
 * so one scrape of the gateway shows every process.
 */
export const metricsRegistry = new Registry();

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** `SLIPWAY_METRICS_PREFIX` (default `slipway`; `dokploy` gives the contract's exact names). */
export function metricsPrefix(env: NodeJS.ProcessEnv = process.env): string {
  const prefix = env.SLIPWAY_METRICS_PREFIX || 'slipway';
  if (!NAME.test(prefix)) throw new Error(`SLIPWAY_METRICS_PREFIX must match ${NAME.source}, got '${prefix}'`);
  return prefix;
}

/** The prefixed name of a metric: `<prefix>_<name>`. */
export const metricName = (name: string): string => `${metricsPrefix()}_${name}`;

let defaultsStarted = false;

/**
 * The runtime's default metrics (CPU, memory, event loop lag, GC) and the
 * `service` label that tells the processes apart once the gateway merged them.
 */
export function startProcessMetrics(service: string): void {
  metricsRegistry.setDefaultLabels({ service });
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix: `${metricsPrefix()}_` });
}

/** A metric registered once per process under its prefixed name (libs may be loaded by several modules). */
function once<M extends Metric>(name: string, make: (fullName: string) => M): M {
  const full = metricName(name);
  return (metricsRegistry.getSingleMetric(full) as M | undefined) ?? make(full);
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const natsRequestSeconds = (): Histogram<'target'> =>
  once('nats_request_duration_seconds', (name) =>
    new Histogram({ name, help: 'NATS request/reply latency by answering service', labelNames: ['target'], buckets: SECONDS, registers: [metricsRegistry] }),
  );

export const eventAppendSeconds = (): Histogram<'schema'> =>
  once('event_store_append_duration_seconds', (name) =>
    new Histogram({ name, help: 'Event store append latency (one append_events call)', labelNames: ['schema'], buckets: SECONDS, registers: [metricsRegistry] }),
  );

const lagSources = new Map<string, () => Promise<number>>();

/**
 * A projection tells how far behind it is (events committed, not yet
 * applied); the gauge asks every registered one at scrape time.
 */
export function registerProjectionLag(projection: string, lag: () => Promise<number>): () => void {
  once('projection_lag_events', (name) =>
    new Gauge({
      name,
      help: 'Events committed but not yet applied, by projection',
      labelNames: ['projection'],
      registers: [metricsRegistry],
      async collect() {
        this.reset();
        for (const [p, read] of lagSources) {
          const value = await read().catch(() => undefined);
          if (value !== undefined) this.set({ projection: p }, value);
        }
      },
    }),
  );
  lagSources.set(projection, lag);
  return () => lagSources.delete(projection);
}

export const httpRequests = (): Counter<'method' | 'route' | 'status'> =>
  once('http_requests_total', (name) =>
    new Counter({ name, help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers: [metricsRegistry] }),
  );

export const httpRequestSeconds = (): Histogram<'method' | 'route' | 'status'> =>
  once('http_request_duration_seconds', (name) =>
    new Histogram({
      name,
      help: 'HTTP request latency by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: SECONDS,
      registers: [metricsRegistry],
    }),
  );

export { Counter, Gauge, Histogram };
