import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { startTestPlatform, type TestPlatform } from './harness';

/** The per-application incoming limit, counted only once a delivery's signature verifies (a small limit here). */
let t: TestPlatform;
let owner: { token: string; userId: string };
const SECRET = 'rate-limited-webhook-secret';

beforeAll(async () => {
  t = await startTestPlatform([], { SLIPWAY_WEBHOOK_APP_LIMIT_PER_HOUR: '3' });
  owner = await t.user();
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

const ping = JSON.stringify(structuredClone((examples as any[]).find((e) => e.name === 'ping').examples[0]));

async function deliver(secret: string) {
  return t.api('POST', '/api/webhooks/github', {
    raw: ping,
    headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': await sign(secret, ping) },
  });
}

it('refuses verified deliveries over the hourly limit with 429; forgeries neither count nor get past 401', async () => {
  const projectId = (await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'limited' } })).body.id;
  const repoUrl = JSON.parse(ping).repository.clone_url;
  const app = await t.api('POST', '/api/applications', { token: owner.token, body: { name: 'limited', projectId, gitSource: { repoUrl, webhookSecret: SECRET } } });
  expect(app.status).toBe(201);

  for (let i = 0; i < 5; i++) expect((await deliver('forged')).status).toBe(401);
  for (let i = 0; i < 3; i++) expect((await deliver(SECRET)).status).toBe(200);
  const over = await deliver(SECRET);
  expect(over.status).toBe(429);
  expect(over.body.error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', details: { applicationId: app.body.id, limit: 3 } });
  expect((await deliver('forged')).status).toBe(401);
});
