import { canonicalJson, commandIdFor, expectedVersionFromIfMatch, idempotencyOf, requestHash, requestIdFrom } from './http-headers';

describe('http header conventions', () => {
  it('parses If-Match', () => {
    expect(expectedVersionFromIfMatch(undefined)).toBeUndefined();
    expect(expectedVersionFromIfMatch('*')).toBeUndefined();
    expect(expectedVersionFromIfMatch('"3"')).toBe(3);
    expect(expectedVersionFromIfMatch('W/"3"')).toBe(3);
    expect(expectedVersionFromIfMatch('"abc"')).toBe(-1);
    expect(expectedVersionFromIfMatch('"1", "2"')).toBe(-1);
  });

  it('refuses an If-Match that is not entity-tags (400, not a 412)', () => {
    for (const bad of ['garbage!!', '3', '"3', 'W/3', '"a"b"', '"ok", nope']) {
      expect(() => expectedVersionFromIfMatch(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: { header: 'If-Match' } }));
    }
  });

  it('derives a stable, caller-scoped command id', () => {
    expect(commandIdFor('u1', 'k')).toBe(commandIdFor('u1', 'k'));
    expect(commandIdFor('u1', 'k')).not.toBe(commandIdFor('u2', 'k'));
    expect(commandIdFor('u1', 'k')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('hashes requests independently of key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
    expect(requestHash('post', '/api/projects', { a: 1, b: 2 })).toBe(requestHash('POST', '/api/projects', { b: 2, a: 1 }));
    expect(requestHash('POST', '/api/projects', { a: 1 })).not.toBe(requestHash('POST', '/api/projects', { a: 2 }));
  });

  it('fingerprints the concrete resource, not the route pattern, for every mutating route family', () => {
    // given one caller and one key
    const principal = { userId: 'u1' };
    const of = (url: string, body?: unknown, who: { userId: string; keyId?: string } = principal) =>
      idempotencyOf({ method: 'POST', url, body, principal: who }, 'key-1');

    // then the same request (v1 alias included) has one fingerprint ...
    expect(of('/api/v1/applications/A1/deploy', {}).requestHash).toBe(of('/api/applications/A1/deploy', {}).requestHash);
    // ... and another resource, query, body or caller another
    for (const family of ['applications/{id}/deploy', 'applications/{id}/scale', 'applications/{id}/stop', 'applications/{id}/start', 'applications/{id}/restart', 'teams/{id}/members', 'deployments/{id}/rollback', 'deployments/{id}/cancel']) {
      const [one, two] = ['A1', 'A2'].map((id) => of(`/api/${family.replace('{id}', id)}`, { replicas: 1 }));
      expect(one!.commandId).toBe(two!.commandId);
      expect(one!.requestHash).not.toBe(two!.requestHash);
    }
    for (const [a, b] of [
      [of('/api/projects', { name: 'a' }), of('/api/projects', { name: 'b' })],
      [of('/api/api-keys', { name: 'a' }), of('/api/api-keys?x=1', { name: 'a' })],
      [of('/api/projects', { name: 'a' }), of('/api/projects', { name: 'a' }, { userId: 'u1', keyId: 'k9' })],
    ]) {
      expect(a!.requestHash).not.toBe(b!.requestHash);
    }
    expect(of('/api/projects', {}).commandId).not.toBe(of('/api/projects', {}, { userId: 'u2' }).commandId);
  });

  it('accepts sane request ids only', () => {
    expect(requestIdFrom('abc-123', () => 'minted')).toBe('abc-123');
    expect(requestIdFrom('bad id\n', () => 'minted')).toBe('minted');
    expect(requestIdFrom(undefined, () => 'minted')).toBe('minted');
  });
});
