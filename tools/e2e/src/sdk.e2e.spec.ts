import { SlipwayClient, SlipwayError } from '@slipway/sdk';
import { startTestPlatform, type TestPlatform } from './harness';

let t: TestPlatform;
let client: SlipwayClient;

beforeAll(async () => {
  t = await startTestPlatform();
  const alice = await t.user();
  client = new SlipwayClient({ baseUrl: t.baseUrl, token: alice.token });
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

test('the TypeScript SDK creates, reads and pages projects against the live platform', async () => {
  const names = ['sdk-a', 'sdk-b', 'sdk-c'];
  const created = [];
  for (const name of names) created.push(await client.projects.create({ name }));
  expect(created.map((p) => p.name)).toEqual(names);
  expect((await client.projects.get(created[0].id)).name).toBe('sdk-a');
  const seen: string[] = [];
  for await (const p of client.projects.listAll({ limit: 1 })) seen.push(p.name);
  expect(seen.sort()).toEqual(names);
});

test('an error answer is a typed SlipwayError with code, status and requestId', async () => {
  const err = await client.projects.get('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SlipwayError);
  expect(err).toMatchObject({ status: 404, code: expect.stringMatching(/NOT_FOUND/), requestId: expect.any(String) });
  const anonymous = new SlipwayClient({ baseUrl: t.baseUrl });
  await expect(anonymous.projects.list()).rejects.toMatchObject({ status: 401 });
});
