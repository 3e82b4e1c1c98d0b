import autocannon from 'autocannon';
import { startTestPlatform } from '@slipway/e2e';

const METRICS_TOKEN = 'post-latency-bench-token-0123456789abcdef';

/**
 * `node tools/bench/dist/post-latency.js`: where a create's time goes at one
 * connection. The same route answered at different depths — the gateway alone
 * (a 400), gateway → NATS → one SQL read (an Idempotency-Key replay), a full
 * create, a create refused by the name reservation (409) — then the platform's
 * own timings (NATS request and event-store append sums) from its metrics.
 */
async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 4);
  const t = await startTestPlatform([], { SLIPWAY_METRICS_TOKEN: METRICS_TOKEN });
  try {
    const user = await t.user();
    const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
    const run = async (label: string, opts: Partial<autocannon.Options>) => {
      const r = await autocannon({ url: `${t.baseUrl}/api/projects`, headers, connections: 1, duration: seconds, ...opts });
      console.log(`${label.padEnd(36)} ${String(Math.round(r.requests.average)).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  non-2xx ${r.non2xx}`);
    };
    await run('GET /api/projects (no hop)', {});
    await run('POST invalid body (400, gateway only)', { method: 'POST', body: JSON.stringify({ name: 5 }) });
    await t.api('POST', '/api/projects', { token: user.token, headers: { 'idempotency-key': 'replayed' }, body: { name: 'replayed' } });
    await run('POST replay (Idempotency-Key)', { method: 'POST', headers: { ...headers, 'idempotency-key': 'replayed' }, body: JSON.stringify({ name: 'replayed' }) });
    let n = 0;
    await run('POST create', { method: 'POST', requests: [{ setupRequest: (req: any) => ({ ...req, body: JSON.stringify({ name: `p-${n++}` }) }) }] });
    await run('POST name taken (409)', { method: 'POST', body: JSON.stringify({ name: 'p-0' }) });
    const text = await fetch(`${t.baseUrl}/api/metrics/prometheus`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text());
    const sums = new Map<string, { sum: number; count: number }>();
    for (const line of text.split('\n')) {
      const m = /^slipway_(nats_request|event_store_append)_duration_seconds_(sum|count)\{service="([^"]+)",(?:target|schema)="([^"]+)"\} (\S+)$/.exec(line);
      if (!m) continue;
      const key = `${m[1]} ${m[3]} → ${m[4]}`;
      const entry = sums.get(key) ?? { sum: 0, count: 0 };
      entry[m[2] as 'sum' | 'count'] = Number(m[5]);
      sums.set(key, entry);
    }
    for (const [key, { sum, count }] of sums) if (count > 100) console.log(`${key.padEnd(60)} n ${count}  mean ${((sum / count) * 1000).toFixed(2)} ms`);
  } finally {
    await t.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
