import { mkdirSync } from 'node:fs';
import autocannon from 'autocannon';
import { startTestPlatform } from '@slipway/e2e';

/**
 * `node tools/bench/dist/profile.js DIR`: the platform with --cpu-prof into
 * DIR, under the bench's GET and POST load, then stopped so every process
 * writes its profile (read them with tools/bench/dist/profile-top.js).
 * PROFILE_ONLY=get skips the POST load.
 */
async function main(): Promise<void> {
  const dir = process.argv[2] ?? '/tmp/slipway-prof';
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  mkdirSync(dir, { recursive: true });
  const t = await startTestPlatform([], { SLIPWAY_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${dir}` });
  try {
    const user = await t.user();
    for (let i = 0; i < 20; i++) await t.api('POST', '/api/projects', { token: user.token, body: { name: `seed-${i}` } });
    const headers = { authorization: `Bearer ${user.token}` };
    const get = await autocannon({ url: `${t.baseUrl}/api/projects`, headers, connections: 64, duration: seconds });
    if (process.env.PROFILE_ONLY === 'get') {
      console.log(`GET ${get.requests.average} req/s p99 ${get.latency.p99} ms`);
      return;
    }
    let n = 0;
    const post = await autocannon({
      url: `${t.baseUrl}/api/projects`,
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      connections: 64,
      duration: seconds,
      requests: [{ setupRequest: (req: any) => ({ ...req, body: JSON.stringify({ name: `p-${n++}` }) }) }],
    });
    console.log(`GET ${get.requests.average} req/s p99 ${get.latency.p99} ms; POST ${post.requests.average} req/s p99 ${post.latency.p99} ms`);
  } finally {
    await t.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
