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
