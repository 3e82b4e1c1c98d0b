import { canonicalJson, commandIdFor, expectedVersionFromIfMatch, requestHash, requestIdFrom } from './http-headers';

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

  it('accepts sane request ids only', () => {
    expect(requestIdFrom('abc-123', () => 'minted')).toBe('abc-123');
    expect(requestIdFrom('bad id\n', () => 'minted')).toBe('minted');
    expect(requestIdFrom(undefined, () => 'minted')).toBe('minted');
  });
});
