import { Parser } from '@asyncapi/parser';
import { startTestPlatform, type TestPlatform } from './harness';

/** /api/asyncapi.json: served without authentication, valid AsyncAPI 3.0, this instance's subjects. */
let t: TestPlatform;
const logs: string[] = [];

beforeAll(async () => {
  t = await startTestPlatform(logs);
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('GET /api/asyncapi.json', () => {
  it('gives every message a closed schema of its data', async () => {
    const res = await t.api('GET', '/api/asyncapi.json');
    const messages = Object.entries(res.body.components.messages as Record<string, any>);
    expect(messages.map(([key]) => key)).toEqual(expect.arrayContaining(['identity.TeamCreated', 'projects.ProjectCreated', 'deployments.DeploymentSucceeded', 'databases.DatabaseCreated', 'webhooks.EndpointDisabled']));
    for (const [key, message] of messages) {
      const data = message.payload.properties.data;
      expect({ key, additionalProperties: data.additionalProperties, required: data.required?.length > 0 }).toEqual({ key, additionalProperties: false, required: true });
    }
  });

  it('is public, parses without errors, and names this installation’s subjects', async () => {
    const res = await t.api('GET', '/api/asyncapi.json');
    expect(res.status).toBe(200);
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(res.body));
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    const addresses = document!.channels().all().map((c) => c.address());
    expect(addresses).toContain(`${t.instance}.events.deployments.DeploymentSucceeded`);
    expect(addresses.every((a) => a?.startsWith(`${t.instance}.events.`))).toBe(true);
    // No credentials of NATS_URL (the schemas' descriptions may show URLs like git@host:repo.git).
    expect(JSON.stringify(res.body.servers)).not.toContain('@');
    expect(JSON.stringify(res.body)).not.toMatch(/nats:\/\/[^/"]*@/);
  });
});
