import { deciderSpec, type CommandMetadata } from '@slipway/core';
import type { CreateDestination, DestinationEvent } from '@slipway/databases-contracts';
import { destinationDecider } from './destination.decider';
import { normalizeDestination } from './destination-input';

const meta: CommandMetadata = { commandId: 'c', now: '2026-01-01T00:00:00.000Z', actorId: 'u' };
const s3 = { endpoint: 'http://minio:9000', bucket: 'backups', region: 'us-east-1', prefix: 'slipway/', forcePathStyle: true, accessKeyId: 'AK' };
const create: CreateDestination['data'] = { destinationId: 'd1', teamId: 't1', name: 'offsite', config: { type: 's3', s3 }, secret: 'enc:v1:x' };
const created: DestinationEvent = { type: 'DestinationCreated', data: { ...create, createdAt: meta.now } };

describe('destination decider', () => {
  const spec = deciderSpec(destinationDecider);

  it('creates once (a duplicate is harmless), updates within its type, deletes once', () => {
    expect(spec.given([]).when({ type: 'CreateDestination', data: create, metadata: meta }).events()).toEqual([created]);
    expect(spec.given([created]).when({ type: 'CreateDestination', data: create, metadata: meta }).events()).toEqual([]);
    const toLocal = { destinationId: 'd1', name: 'x', config: { type: 'local' as const, local: { path: 'a' } }, secret: null };
    expect(spec.given([created]).when({ type: 'UpdateDestination', data: toLocal, metadata: meta }).error().code).toBe('INVALID_INPUT');
    const [deleted] = spec.given([created]).when({ type: 'DeleteDestination', data: { destinationId: 'd1' }, metadata: meta }).events();
    expect(deleted).toMatchObject({ type: 'DestinationDeleted', data: { teamId: 't1' } });
    expect(spec.given([created, deleted]).when({ type: 'DeleteDestination', data: { destinationId: 'd1' }, metadata: meta }).error().code).toBe('RESOURCE_NOT_FOUND');
  });
});

describe('destination input', () => {
  const issues = (fn: () => unknown) => {
    try {
      fn();
      return [];
    } catch (err) {
      return (err as { details: { errors: Array<{ field: string; received?: unknown }> } }).details.errors;
    }
  };

  it('keeps local destinations under SLIPWAY_BACKUP_DIR', () => {
    expect(normalizeDestination({ type: 'local', name: 'nightly', path: 'team-a/nightly' }, undefined).config).toEqual({ type: 'local', local: { path: 'team-a/nightly' } });
    for (const path of ['../etc', '/etc', 'a/../../b', 'a//b', '.']) expect(issues(() => normalizeDestination({ type: 'local', name: 'x', path }, undefined)).map((i) => i.field)).toEqual(['path']);
  });

  it('requires the secret key on create, keeps it on update, and never echoes it', () => {
    const input = { type: 's3' as const, name: 'offsite', ...s3 };
    expect(issues(() => normalizeDestination(input, undefined)).map((i) => i.field)).toEqual(['secretAccessKey']);
    const made = normalizeDestination({ ...input, secretAccessKey: 'SECRET' }, undefined);
    expect(made.secretAccessKey).toBe('SECRET');
    const patched = normalizeDestination({ bucket: 'other' }, { name: made.name, config: made.config });
    expect(patched).toEqual({ name: 'offsite', config: { type: 's3', s3: { ...s3, bucket: 'other' } } });
    const bad = issues(() => normalizeDestination({ ...input, secretAccessKey: 'x'.repeat(501), path: 'p', bucket: 'Bad_Bucket' }, undefined));
    expect(bad.map((i) => i.field).sort()).toEqual(['bucket', 'path', 'secretAccessKey']);
    expect(JSON.stringify(bad)).not.toContain('x'.repeat(501));
  });
});
