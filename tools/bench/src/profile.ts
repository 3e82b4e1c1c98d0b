import { mkdirSync } from 'node:fs';
import autocannon from 'autocannon';
import { startTestPlatform } from '@slipway/e2e';

/**
 * `node tools/bench/dist/profile.js DIR`: the platform with --cpu-prof into
 * DIR, under the bench's GET and POST load, then stopped so every process
 * writes its profile (read them with tools/bench/dist/profile-top.js).
 * PROFILE_ONLY=get skips the POST load, PROFILE_ONLY=post the GET load;
 * PROFILE_CONNECTIONS (default 64) sets the connections of both.
 */
async function main(): Promise<void> {
  const dir = process.argv[2] ?? '/tmp/slipway-prof';
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const connections = Number(process.env.PROFILE_CONNECTIONS ?? 64);
  const only = process.env.PROFILE_ONLY;
  mkdirSync(dir, { recursive: true });
  const t = await startTestPlatform([], { SLIPWAY_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${dir}`, DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE ?? '10' });
  try {
    const user = await t.user();
    for (let i = 0; i < 20; i++) await t.api('POST', '/api/projects', { token: user.token, body: { name: `seed-${i}` } });
    const headers = { authorization: `Bearer ${user.token}` };
    const get = only === 'post' ? undefined : await autocannon({ url: `${t.baseUrl}/api/projects`, headers, connections, duration: seconds });
    if (get) console.log(`GET ${get.requests.average} req/s p50 ${get.latency.p50} ms p99 ${get.latency.p99} ms`);
    if (only === 'get') return;
    let n = 0;
    const post = await autocannon({
      url: `${t.baseUrl}/api/projects`,
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      connections,
      duration: seconds,
      requests: [{ setupRequest: (req: any) => ({ ...req, body: JSON.stringify({ name: `p-${n++}` }) }) }],
    });
    console.log(`POST ${post.requests.average} req/s p50 ${post.latency.p50} ms p99 ${post.latency.p99} ms`);
  } finally {
    await t.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
