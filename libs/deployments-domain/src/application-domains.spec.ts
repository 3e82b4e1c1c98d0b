import { deciderSpec, fold } from '@slipway/core';
import type { ApplicationCommand, ApplicationCreated, ApplicationEvent } from '@slipway/deployments-contracts';
import { applicationDecider } from './application.decider';

const spec = deciderSpec(applicationDecider);
const metadata = { commandId: 'c-1', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1' };
const created: ApplicationCreated = {
  type: 'ApplicationCreated',
  data: {
    applicationId: 'a-1', projectId: 'p-1', environmentId: 'e-1', teamId: 't-1', ownerId: 'u-1', name: 'web', serviceName: 'web-a1',
    image: 'nginx:1.27', gitSource: null, replicas: 1, envVars: [], ports: [{ containerPort: 8080, protocol: 'tcp' }], volumes: [],
    healthCheck: null, resources: { memoryLimit: null, cpuLimit: null }, createdAt: metadata.now,
  } as ApplicationCreated['data'],
};
const add = (over: Record<string, unknown> = {}): ApplicationCommand => ({
  type: 'AddDomain',
  data: { applicationId: 'a-1', domain: 'Bücher.Example.com', path: '/', containerPort: 8080, https: true, ...over } as never,
  metadata,
});
const added: ApplicationEvent = {
  type: 'ApplicationDomainAdded',
  data: { applicationId: 'a-1', projectId: 'p-1', domain: 'xn--bcher-kva.example.com', path: '/', containerPort: 8080, https: true, addedAt: metadata.now },
};

describe('application domains', () => {
  it('adds a domain in punycode, lower case', () => {
    expect(spec.given([created]).when(add()).events()).toEqual([added]);
  });

  it('refuses wildcards, bad paths and ports, naming each field', () => {
    expect(spec.given([created]).when(add({ domain: '*.example.com', path: 'x', containerPort: 0 })).error()).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { errors: [expect.objectContaining({ field: 'domain' }), expect.objectContaining({ field: 'path' }), expect.objectContaining({ field: 'containerPort' })] },
    });
  });

  it('refuses the same domain twice on one application (409)', () => {
    expect(spec.given([created, added]).when(add({ domain: 'xn--bcher-kva.example.com' })).error()).toMatchObject({ code: 'CONFLICT' });
  });

  it('removes a domain by its unicode or punycode name; an unknown one is a 404', () => {
    const remove = (domain: string): ApplicationCommand => ({ type: 'RemoveDomain', data: { applicationId: 'a-1', domain }, metadata });
    expect(spec.given([created, added]).when(remove('bücher.example.com')).events()).toEqual([
      { type: 'ApplicationDomainRemoved', data: { applicationId: 'a-1', projectId: 'p-1', domain: 'xn--bcher-kva.example.com', removedAt: metadata.now } },
    ]);
    expect(spec.given([created]).when(remove('other.example.com')).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
  });

  it('evolves the domain list', () => {
    const state = fold(applicationDecider, [created, added]);
    expect(state.status === 'active' && state.domains).toEqual([{ domain: 'xn--bcher-kva.example.com', path: '/', containerPort: 8080, https: true }]);
    const removed: ApplicationEvent = { type: 'ApplicationDomainRemoved', data: { applicationId: 'a-1', projectId: 'p-1', domain: 'xn--bcher-kva.example.com', removedAt: metadata.now } };
    const after = fold(applicationDecider, [created, added, removed]);
    expect(after.status === 'active' && after.domains).toEqual([]);
  });
});
