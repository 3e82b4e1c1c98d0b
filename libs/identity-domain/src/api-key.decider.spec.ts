import { deciderSpec } from '@slipway/core';
import type { ApiKeyCommand, ApiKeyEvent } from '@slipway/identity-contracts';
import { apiKeyDecider } from './api-key.decider';

const metadata = { commandId: 'c', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1' };
const spec = deciderSpec(apiKeyDecider);
const data = { keyId: 'k', userId: 'u-1', teamId: 't', name: 'ci', prefix: 'slw_ab', secretHash: 'h', projectIds: null, permission: 'read' as const, expiresAt: null };
const created: ApiKeyEvent = { type: 'ApiKeyCreated', data: { ...data, createdAt: metadata.now } };
const cmd = (c: Omit<ApiKeyCommand, 'metadata'>) => ({ ...c, metadata }) as ApiKeyCommand;

describe('api key decider', () => {
  it('creates keys that never expire only when asked explicitly (null), and refuses a past expiry', () => {
    expect(spec.given([]).when(cmd({ type: 'CreateApiKey', data })).events()).toEqual([created]);
    const past = cmd({ type: 'CreateApiKey', data: { ...data, expiresAt: '2025-01-01T00:00:00.000Z' } });
    expect(spec.given([]).when(past).error().code).toBe('VALIDATION_ERROR');
  });

  it('revokes once', () => {
    const revoke = cmd({ type: 'RevokeApiKey', data: { keyId: 'k' } });
    const revoked = spec.given([created]).when(revoke).events();
    expect(revoked).toEqual([{ type: 'ApiKeyRevoked', data: { keyId: 'k', userId: 'u-1', teamId: 't', revokedAt: metadata.now } }]);
    expect(spec.given([created, ...revoked]).when(revoke).events()).toEqual([]);
    expect(spec.given([]).when(revoke).error().code).toBe('RESOURCE_NOT_FOUND');
  });

  it('records use at most once a minute', () => {
    const use = (usedAt: string) => cmd({ type: 'RecordApiKeyUse', data: { keyId: 'k', usedAt } });
    const first = spec.given([created]).when(use('2026-01-01T00:01:00.000Z')).events();
    expect(first).toHaveLength(1);
    expect(spec.given([created, ...first]).when(use('2026-01-01T00:01:30.000Z')).events()).toEqual([]);
    expect(spec.given([created, ...first]).when(use('2026-01-01T00:02:01.000Z')).events()).toHaveLength(1);
  });
});
