import { AppError } from '@slipway/core';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { fromNatsHeaders, toNatsHeaders } from './bus';
import { eventSubject } from './contract';
import { publicEventSubject, toPublicEvent, type OutboxEvent } from './outbox';
import { subjectMatches } from './subscribe';
import { isTransportFailure, mapNatsRequestError, serviceNotAnswering } from './transport-errors';

describe('headers', () => {
  it('maps context fields to x- headers and back, skipping empty ones', () => {
    const h = toNatsHeaders({ requestId: 'r', actorId: 'a', commandId: '', requestHash: undefined });
    expect(h?.get('x-request-id')).toBe('r');
    expect(h?.get('x-actor-id')).toBe('a');
    expect(h?.has('x-command-id')).toBe(false);
    expect(fromNatsHeaders(h)).toEqual({ requestId: 'r', actorId: 'a' });
    expect(toNatsHeaders({})).toBeUndefined();
    expect(fromNatsHeaders(undefined)).toEqual({});
  });
});

describe('mapNatsRequestError', () => {
  it('maps no responders (bare or wrapped) to SERVICE_UNAVAILABLE', () => {
    const wrapped = new RequestError('503', { cause: new NoRespondersError('a.b') });
    for (const e of [wrapped, new NoRespondersError('a.b')]) {
      expect(mapNatsRequestError(e, 'projects', 100)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { service: 'projects' } });
    }
  });

  it('maps timeouts to GATEWAY_TIMEOUT and leaves other errors alone', () => {
    expect(mapNatsRequestError(new TimeoutError(), 'apps', 250)).toMatchObject({ code: 'GATEWAY_TIMEOUT', details: { service: 'apps', timeoutMs: 250 } });
    const other = new Error('x');
    expect(mapNatsRequestError(other, 'apps', 250)).toBe(other);
  });

  it('only failures to reach a service count as breaker failures, not a service reporting its own dependency down', () => {
    expect(isTransportFailure(serviceNotAnswering('apps'))).toBe(true);
    expect(isTransportFailure(mapNatsRequestError(new TimeoutError(), 'apps', 250))).toBe(true);
    expect(isTransportFailure(new AppError('SERVICE_UNAVAILABLE', 'The database is not reachable'))).toBe(false);
    expect(isTransportFailure(new AppError('CONFLICT', 'x'))).toBe(false);
    expect(isTransportFailure(new Error('x'))).toBe(false);
  });
});

describe('public events', () => {
  const event: OutboxEvent = {
    globalPosition: 42, streamId: 'project-1', streamPosition: 3, eventId: 'e-1', type: 'ProjectRenamed', schemaVersion: 2,
    data: { name: 'n' },
    metadata: { commandId: 'c', actorId: 'a', requestId: 'r', now: 't', correlationId: 'co', causationId: 'ca', requestHash: 'h', dbPassword: 'p', token: 't' },
    createdAt: new Date('2024-05-01T10:00:00.000Z'),
  };

  it('publishes only allow-listed metadata', () => {
    expect(toPublicEvent('projects', event)).toEqual({
      eventId: 'e-1', service: 'projects', type: 'ProjectRenamed', streamId: 'project-1', streamPosition: 3, globalPosition: 42,
      schemaVersion: 2, occurredAt: '2024-05-01T10:00:00.000Z', data: { name: 'n' },
      metadata: { commandId: 'c', actorId: 'a', requestId: 'r', now: 't', correlationId: 'co', causationId: 'ca' },
    });
  });

  it('lets the producing service shape what others see of the data', () => {
    const secret = { ...event, data: { name: 'n', passwordHash: 'argon2id$...' } };
    const strip = (_type: string, data: any) => ({ name: data.name });
    expect(toPublicEvent('identity', secret, strip).data).toEqual({ name: 'n' });
  });

  it('derives subjects the same way as eventSubject()', () => {
    expect(publicEventSubject('slipway.events', 'projects', 'ProjectRenamed')).toBe(eventSubject('projects', 'ProjectRenamed'));
    expect(() => publicEventSubject('slipway.events', 'projects', 'bad type')).toThrow();
    expect(() => publicEventSubject('slipway.events', 'projects', 'x.*')).toThrow();
    expect(() => publicEventSubject('slipway.events', 'pro.jects', 'X')).toThrow();
  });
});

describe('subjectMatches', () => {
  it.each([
    ['a.b.c', 'a.b.c', true],
    ['a.*.c', 'a.b.c', true],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['a.*', 'a.b.c', false],
    ['a.b', 'a.b.c', false],
    ['a.b.c', 'a.b', false],
  ])('%s vs %s → %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });
});
