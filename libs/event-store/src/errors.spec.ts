import { describe, expect, it } from '@jest/globals';
import { AppError } from '@slipway/core';
import { IdempotencyKeyReusedError, WrongExpectedVersionError, expectedVersionMatches, isValidExpectedVersion } from './errors';

describe('WrongExpectedVersionError', () => {
  it('is a 409 AppError carrying stream, expected and actual', () => {
    const error = new WrongExpectedVersionError('app-1', 3, 5);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error.code).toBe('CONFLICT');
    expect(error.status).toBe(409);
    expect(error.name).toBe('WrongExpectedVersionError');
    expect(error.details).toEqual({ streamId: 'app-1', expected: 3, actual: 5 });
    expect(error.message).toContain("'app-1'");
  });
});

describe('IdempotencyKeyReusedError', () => {
  it('is a 422 AppError telling the client the key was used for another request', () => {
    const error = new IdempotencyKeyReusedError('key-1');
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('UNPROCESSABLE_ENTITY');
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/Idempotency-Key 'key-1' was already used with a different request/);
    expect(error.toJSON()).toEqual({ code: 'UNPROCESSABLE_ENTITY', message: error.message, details: { commandId: 'key-1' } });
  });
});

describe('expected versions', () => {
  it.each([
    ['any', 0, true],
    ['any', 7, true],
    ['no_stream', 0, true],
    ['no_stream', 1, false],
    [0, 0, true],
    [3, 3, true],
    [3, 4, false],
  ] as const)('%j vs actual %d → %s', (expected, actual, ok) => {
    expect(expectedVersionMatches(expected, actual)).toBe(ok);
  });

  it('validates the shape', () => {
    expect(isValidExpectedVersion('any')).toBe(true);
    expect(isValidExpectedVersion(0)).toBe(true);
    expect(isValidExpectedVersion(-1)).toBe(false);
    expect(isValidExpectedVersion(1.5)).toBe(false);
    expect(isValidExpectedVersion('latest')).toBe(false);
  });
});
