import type { CreateEndpoint, EndpointCommand } from '@slipway/webhooks-contracts';
import { decideEndpoint, evolveEndpoint, initialEndpointState, type EndpointState } from './endpoint.decider';
import { endpointIssues, generateEndpointSecret } from './endpoints-app';

const meta = (now: string) => ({ commandId: now, now, actorId: 'u-1' });
const create: CreateEndpoint = {
  type: 'CreateEndpoint',
  data: { endpointId: 'e-1', teamId: 't-1', projectId: null, url: 'https://h.example.com', events: ['*'], enabled: true, secret: 'enc:v1:x' },
  metadata: meta('2026-01-01T00:00:00.000Z'),
};
const run = (commands: EndpointCommand[], state: EndpointState = initialEndpointState()) => {
  for (const c of commands) for (const e of decideEndpoint(c, state)) state = evolveEndpoint(state, e);
  return state;
};

describe('endpoint decider', () => {
  it('given nothing, when created, then EndpointCreated with the (encrypted) secret', () => {
    expect(decideEndpoint(create, initialEndpointState())).toEqual([{ type: 'EndpointCreated', data: { ...create.data, createdAt: '2026-01-01T00:00:00.000Z' } }]);
  });

  it('given an endpoint, when updated with the same values, then nothing; with new ones, only the changes', () => {
    const state = run([create]);
    expect(decideEndpoint({ type: 'UpdateEndpoint', data: { enabled: true, events: ['*'] }, metadata: meta('t2') }, state)).toEqual([]);
    expect(decideEndpoint({ type: 'UpdateEndpoint', data: { enabled: false, url: undefined }, metadata: meta('t2') }, state)).toEqual([
      { type: 'EndpointUpdated', data: { enabled: false, endpointId: 'e-1', updatedAt: 't2' } },
    ]);
  });

  it('given an endpoint, when its secret is rotated, then the state holds the new secret', () => {
    const state = run([create, { type: 'RotateEndpointSecret', data: { secret: 'enc:v1:y' }, metadata: meta('t3') }]);
    expect(state).toMatchObject({ status: 'active', secret: 'enc:v1:y', updatedAt: 't3' });
  });

  it('given a deleted endpoint, when deleted again, then nothing; when changed, then not found', () => {
    const state = run([create, { type: 'DeleteEndpoint', data: {}, metadata: meta('t4') }]);
    expect(decideEndpoint({ type: 'DeleteEndpoint', data: {}, metadata: meta('t5') }, state)).toEqual([]);
    expect(() => decideEndpoint({ type: 'UpdateEndpoint', data: { enabled: true }, metadata: meta('t5') }, state)).toThrow(/not found/);
    expect(() => decideEndpoint({ type: 'RotateEndpointSecret', data: { secret: 's' }, metadata: meta('t5') }, initialEndpointState())).toThrow(/not found/);
  });

  it('given an enabled endpoint, when disabled by the sender, then EndpointDisabled with its scope; when already off, nothing', () => {
    const state = run([create]);
    const events = decideEndpoint({ type: 'DisableEndpoint', data: { reason: 'r' }, metadata: meta('t6') }, state);
    expect(events).toEqual([{ type: 'EndpointDisabled', data: { endpointId: 'e-1', teamId: 't-1', projectId: null, url: 'https://h.example.com', reason: 'r', disabledAt: 't6' } }]);
    const off = evolveEndpoint(state, events[0]);
    expect(off).toMatchObject({ enabled: false });
    expect(decideEndpoint({ type: 'DisableEndpoint', data: { reason: 'r' }, metadata: meta('t7') }, off)).toEqual([]);
  });

  it('given an existing endpoint, when created again, then a conflict', () => {
    expect(() => decideEndpoint(create, run([create]))).toThrow(/exists/);
  });
});

describe('endpoint settings and secrets', () => {
  it('generates whsec_ secrets of 24 random bytes, different every time', () => {
    const a = generateEndpointSecret();
    expect(a).toMatch(/^whsec_/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(24);
    expect(generateEndpointSecret()).not.toBe(a);
  });

  it('given bad settings, then one issue per field', () => {
    expect(endpointIssues({ url: 'https://h.example.com/x', events: ['deployment.*'] }, false)).toEqual([]);
    expect(endpointIssues({ url: 'https://user:pw@h.example.com', events: ['nope'], enabled: 'yes' }, false).map((i) => i.field)).toEqual(['url', 'events', 'enabled']);
    expect(endpointIssues({}, true)).toEqual([]);
    expect(endpointIssues({}, false).map((i) => i.field)).toEqual(['url', 'events']);
  });
});
