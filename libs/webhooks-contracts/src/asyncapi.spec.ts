import { Parser } from '@asyncapi/parser';
import { buildAsyncApi } from './asyncapi';
import { EVENT_CATALOGUE } from './event-catalogue';

describe('the AsyncAPI document', () => {
  it('is a valid AsyncAPI 3.0 document per @asyncapi/parser (no errors)', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(buildAsyncApi('slipway')));
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    expect(document?.channels().length).toBe(Object.keys(EVENT_CATALOGUE).length);
  });

  it('has one channel per catalogued event, addressed with the instance', () => {
    const doc = buildAsyncApi('acme-1234') as { channels: Record<string, { address: string }> };
    expect(Object.keys(doc.channels)).toEqual(Object.keys(EVENT_CATALOGUE));
    expect(doc.channels['deployments.DeploymentSucceeded'].address).toBe('acme-1234.events.deployments.DeploymentSucceeded');
  });
});

describe('the message payloads', () => {
  const doc = buildAsyncApi('slipway') as { components: { messages: Record<string, { payload: { properties: Record<string, any> } }> } };

  it('give every catalogued event a closed schema of its data, with the fields it requires', () => {
    for (const key of Object.keys(EVENT_CATALOGUE)) {
      const data = doc.components.messages[key].payload.properties.data;
      expect({ key, type: data.type, additionalProperties: data.additionalProperties }).toEqual({ key, type: 'object', additionalProperties: false });
      expect(Object.keys(data.properties).length).toBeGreaterThan(1);
      expect(data.required.length).toBeGreaterThan(1);
    }
  });

  it('describe what subscribers receive: no secret, the upcast version', () => {
    const data = (key: string) => doc.components.messages[key].payload.properties.data;
    const app = data('deployments.ApplicationCreated');
    const git = app.properties.gitSource.anyOf.find((s: { type: string }) => s.type === 'object');
    expect(Object.keys(git.properties)).toContain('webhookSecretSet');
    expect(Object.keys(git.properties)).not.toContain('webhookSecret');
    expect(Object.keys(data('databases.DatabaseCreated').properties.credentials.properties)).toEqual(['username', 'databaseName']);
    expect(data('webhooks.EndpointDisabled').properties.secret).toBeUndefined();
    expect(data('projects.ProjectCreated').required).toContain('defaultEnvironment');
    expect(JSON.stringify(doc)).not.toMatch(/"(password|passwordHash|webhookSecret|secret)"/);
  });
});
