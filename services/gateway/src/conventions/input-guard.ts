import { AppError } from '@slipway/core';

/**
 * The gateway's input boundary: every body, query and path parameter passes
 * here before validation, class-transformer or any service sees it. What it
 * refuses is what would otherwise crash something downstream (a stack overflow
 * in class-transformer on deep nesting, PostgreSQL rejecting NUL and lone
 * surrogates in text and jsonb) or alter object prototypes.
 */
export const INPUT_LIMITS = {
  /** Nesting of arrays/objects; the deepest DTO is a handful of levels. */
  maxDepth: 32,
  /** Characters of a value quoted back in an error (field names, received values). */
  maxEcho: 64,
};

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const UNSAFE_CHAR_GLOBAL = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Why a string cannot be stored, or undefined when it can. */
export function unsafeTextReason(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (not a Unicode character)';
  return undefined;
}

/** Quotes client text back safely: unsafe characters escaped, long text cut. */
export function echo(value: string, max = INPUT_LIMITS.maxEcho): string {
  const escaped = value.replace(UNSAFE_CHAR_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}… (${value.length} characters)` : escaped;
}

/** The part of the request an input came from, for the error's details. */
export type InputLocation = 'body' | 'query' | 'path';

const fieldName = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

/**
 * Walks a parsed input (iteratively: a recursive walk would overflow on the
 * very inputs it must refuse) and throws INVALID_INPUT at the first value or
 * key that must not go further.
 */
export function assertSafeInput(value: unknown, location: InputLocation): void {
  const stack: Array<{ value: unknown; field: string; depth: number }> = [{ value, field: '', depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const where = item.field || location;
    if (typeof item.value === 'string') {
      const reason = unsafeTextReason(item.value);
      if (reason) throw refused(location, item.field, `The value of '${echo(where)}' ${reason}; text must be valid Unicode without NUL`);
      continue;
    }
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= INPUT_LIMITS.maxDepth) {
      throw refused(location, item.field, `The ${location} nests deeper than ${INPUT_LIMITS.maxDepth} levels at '${echo(where)}'`);
    }
    if (Array.isArray(item.value)) {
      for (let i = item.value.length - 1; i >= 0; i--) stack.push({ value: item.value[i], field: fieldName(item.field, i), depth: item.depth + 1 });
      continue;
    }
    const entries = Object.entries(item.value as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const field = fieldName(item.field, key);
      const reason = unsafeTextReason(key);
      if (reason) throw refused(location, field, `The field name '${echo(field)}' ${reason}`);
      if (key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object' && 'prototype' in child)) {
        throw refused(
          location,
          field,
          `The ${location} has a field '${echo(field)}'; '__proto__' and 'constructor.prototype' are refused because they can rewrite object prototypes`,
        );
      }
      stack.push({ value: child, field, depth: item.depth + 1 });
    }
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body parser: valid UTF-8, valid JSON, then assertSafeInput. Errors
 * name what is wrong; none echoes more than a few characters of the body.
 */
export function parseJsonBody(raw: Buffer | string): unknown {
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : UTF8.decode(raw);
  } catch {
    throw new AppError('INVALID_INPUT', 'The request body is not valid UTF-8', { location: 'body' });
  }
  if (text.trim() === '') {
    throw new AppError(
      'INVALID_INPUT',
      'The request body is empty but Content-Type is application/json; send a JSON body or drop the header',
      { location: 'body' },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = e instanceof RangeError ? `nests too deeply` : `is not valid JSON (${echo((e as Error).message, 120)})`;
    throw new AppError('INVALID_INPUT', `The request body ${why}`, { location: 'body' });
  }
  assertSafeInput(value, 'body');
  return value;
}

function refused(location: InputLocation, field: string, message: string): AppError {
  return new AppError('INVALID_INPUT', message, { location, ...(field ? { field: echo(field) } : {}) });
}
