import { AppError } from '@slipway/core';
import { assertSafeInput, echo, INPUT_LIMITS, parseJsonBody, unsafeTextReason } from './input-guard';

const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a refusal');
};

describe('the input boundary', () => {
  it('parses ordinary JSON bodies, astral characters included', () => {
    expect(parseJsonBody(Buffer.from('{"name":"café 🚀","n":[1,{"a":null}]}'))).toEqual({ name: 'café 🚀', n: [1, { a: null }] });
  });

  it('refuses NUL and lone surrogates in values and keys, naming the field', () => {
    for (const body of ['{"name":"a\\u0000b"}', '{"name":"\\ud800"}', '{"name":"x\\udc00"}', '{"a":[{"b":"\\udbff!"}]}', '{"\\u0000":1}']) {
      const error = refusal(() => parseJsonBody(Buffer.from(body)));
      expect(error).toBeInstanceOf(AppError);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.details).toMatchObject({ location: 'body' });
    }
    expect(refusal(() => parseJsonBody(Buffer.from('{"a":[{"b":"\\udbff!"}]}'))).details).toMatchObject({ field: 'a[0].b' });
  });

  it('refuses invalid UTF-8, empty bodies and broken JSON with distinct messages', () => {
    expect(refusal(() => parseJsonBody(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]))).message).toMatch(/UTF-8/);
    expect(refusal(() => parseJsonBody(Buffer.from('  '))).message).toMatch(/empty/);
    expect(refusal(() => parseJsonBody(Buffer.from('{"a":'))).message).toMatch(/not valid JSON/);
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const error = refusal(() => parseJsonBody(Buffer.from(deep)));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/nests/);
    expect(error.message.length).toBeLessThan(300);
    const ok = '['.repeat(INPUT_LIMITS.maxDepth) + ']'.repeat(INPUT_LIMITS.maxDepth);
    expect(() => parseJsonBody(Buffer.from(ok))).not.toThrow();
  });

  it('says that __proto__ and constructor.prototype are refused, and why', () => {
    const error = refusal(() => parseJsonBody(Buffer.from('{"a":{"__proto__":{"admin":true}}}')));
    expect(error.message).toMatch(/'a\.__proto__'.*prototype/);
    expect(error.details).toMatchObject({ field: 'a.__proto__' });
    expect(refusal(() => parseJsonBody(Buffer.from('{"constructor":{"prototype":{}}}'))).message).toMatch(/constructor/);
    expect(parseJsonBody(Buffer.from('{"constructor":"fine"}'))).toEqual({ constructor: 'fine' });
  });

  it('checks path and query parameters by the same rules', () => {
    expect(refusal(() => assertSafeInput({ search: 'a\u0000' }, 'query')).details).toEqual({ location: 'query', field: 'search' });
    expect(refusal(() => assertSafeInput({ id: '\ud800' }, 'path')).details).toEqual({ location: 'path', field: 'id' });
    expect(() => assertSafeInput({ search: ['ok', 'fine'] }, 'query')).not.toThrow();
  });

  it('quotes client text short and with unsafe characters escaped', () => {
    expect(echo('a\u0000b\ud800')).toBe('a\\u0000b\\ud800');
    expect(echo('x'.repeat(10_000))).toMatch(/^x{64}… \(10000 characters\)$/);
    expect(unsafeTextReason('🚀 ok')).toBeUndefined();
  });
});
