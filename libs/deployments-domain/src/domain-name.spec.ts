import { checkPathPrefix, normalizeDomain } from './domain-name';
import { Issues } from './validation';

describe('normalizeDomain', () => {
  it.each([
    ['App.Example.com', 'app.example.com'],
    ['app.example.com.', 'app.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['a.slipway.localhost', 'a.slipway.localhost'],
  ])('%s → %s', (input, want) => expect(normalizeDomain(input)).toBe(want));

  it.each([
    ['*.example.com'],
    ['localhost'],
    ['-a.example.com'],
    ['a_b.example.com'],
    ['10.0.0.1'],
    [`${'a'.repeat(64)}.example.com`],
    [`${'a.'.repeat(130)}com`],
    [''],
    [42],
  ])('refuses %s', (input) => expect(normalizeDomain(input)).toBeUndefined());
});

describe('checkPathPrefix', () => {
  it('accepts a prefix and refuses what is not a path', () => {
    const issues = new Issues();
    expect(checkPathPrefix('/api', issues)).toBe('/api');
    checkPathPrefix('api', issues);
    checkPathPrefix('/a?b', issues);
    expect(issues.list.map((i) => i.field)).toEqual(['path', 'path']);
  });
});
