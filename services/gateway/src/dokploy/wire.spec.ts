import { AppError } from '@slipway/core';
import { parseEnv } from './input';
import { errorOf, openApiInput, parseQueryInput, resultBody, routeOf, unwrapInput } from './wire';

describe('Dokploy wire formats', () => {
  it('takes GET input superjson-wrapped (CLI 0.2.8) or bare (CLI 0.30.7), {} or nothing meaning none', () => {
    expect(parseQueryInput('{"json":{"projectId":"p"}}')).toEqual({ projectId: 'p' });
    expect(parseQueryInput('{"json":{"projectId":"p"},"meta":{"values":{}}}')).toEqual({ projectId: 'p' });
    expect(parseQueryInput('{"projectId":"p"}')).toEqual({ projectId: 'p' });
    expect(parseQueryInput('{}')).toEqual({});
    expect(parseQueryInput(undefined)).toEqual({});
    // A bare input that happens to have a `json` field beside others is the input itself.
    expect(unwrapInput({ json: 1, other: 2 })).toEqual({ json: 1, other: 2 });
  });

  it('refuses what is not a JSON object, and NUL hidden in JSON escapes', () => {
    expect(() => parseQueryInput('{nope')).toThrow(AppError);
    expect(errorOf('trpc', catching(() => parseQueryInput('{nope')), 'project.one', 'r').body).toMatchObject({ error: { json: { code: -32700, data: { code: 'PARSE_ERROR', httpStatus: 400 } } } });
    expect(() => parseQueryInput('[1]')).toThrow(/JSON object/);
    expect(() => parseQueryInput('{"a":"\\u0000"}')).toThrow(/NUL/);
    expect(() => parseQueryInput(['{}', '{}'])).toThrow(/once/);
    expect(() => openApiInput('POST', undefined, 'text')).toThrow(AppError);
  });

  it('wraps results as tRPC does, undefined included, and leaves the OpenAPI adapter plain', () => {
    expect(resultBody('trpc', [1])).toEqual({ result: { data: { json: [1] } } });
    expect(resultBody('trpc', undefined)).toEqual({ result: { data: { json: null, meta: { values: ['undefined'], v: 1 } } } });
    expect(resultBody('openapi', { a: 1 })).toEqual({ a: 1 });
  });

  it('renders errors with the REST status, tRPC code and Slipway code; a 500 says nothing of the cause', () => {
    const forbidden = errorOf('trpc', new AppError('FORBIDDEN', 'no'), 'project.create', 'req-1');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toEqual({
      error: { json: { message: 'no', code: -32003, data: { code: 'FORBIDDEN', httpStatus: 403, path: 'project.create', zodError: null, slipwayCode: 'FORBIDDEN', details: {}, requestId: 'req-1' } } },
    });
    const crash = errorOf('openapi', new Error('secret internals'), undefined, 'req-2');
    expect(crash.status).toBe(500);
    expect(JSON.stringify(crash.body)).not.toContain('secret internals');
    const invalid = errorOf('openapi', AppError.validation([{ field: 'name', message: 'bad', constraint: 'matches' }]), undefined, 'r');
    expect(invalid.body).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: ['name'], message: 'bad' }] });
    const trpcInvalid = errorOf('trpc', AppError.validation([{ field: 'name', message: 'bad', constraint: 'matches' }]), 'project.create', 'r');
    expect(trpcInvalid.body).toMatchObject({ error: { json: { data: { zodError: { formErrors: [], fieldErrors: { name: ['bad'] } } } } } });
  });

  it('recognises procedure paths, and leaves Slipway\'s own dotted paths alone', () => {
    const known = (n: string) => n === 'project.all';
    expect(routeOf('/api/trpc/project.all?input=%7B%7D', known)).toEqual({ wire: 'trpc', procedure: 'project.all' });
    expect(routeOf('//api/trpc/project.all', known)).toEqual({ wire: 'trpc', procedure: 'project.all' });
    expect(routeOf('/api/project.all', known)).toEqual({ wire: 'openapi', procedure: 'project.all' });
    expect(routeOf('/api/openapi.json', known)).toBeUndefined();
    expect(routeOf('/api/projects', known)).toBeUndefined();
  });

  it('reads env as KEY=VALUE lines', () => {
    expect(parseEnv('# c\nA=1\n\nexport B="two words"\nC=x=y\nA=3')).toEqual([
      { key: 'A', value: '3' },
      { key: 'B', value: 'two words' },
      { key: 'C', value: 'x=y' },
    ]);
    expect(() => parseEnv('nope')).toThrow(/KEY=VALUE/);
  });
});

function catching(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}
