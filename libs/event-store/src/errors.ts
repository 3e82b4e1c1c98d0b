import { AppError } from '@slipway/core';
import type { ExpectedVersion } from './types';

/**
 * The stream moved on since the caller read it. CONFLICT (409) because the
 * caller did nothing wrong: re-reading and deciding again usually succeeds.
 */
export class WrongExpectedVersionError extends AppError {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super('CONFLICT', `Stream '${streamId}' is at version ${actual}, expected ${describeExpected(expected)}`, {
      streamId,
      expected,
      actual,
    });
    this.name = 'WrongExpectedVersionError';
  }
}

/**
 * Another owner holds a key this append meant to reserve; nothing was
 * appended. CONFLICT (409); callers usually rethrow it in their own words.
 */
export class ReservationTakenError extends AppError {
  constructor(
    readonly kind: string,
    readonly key: string,
  ) {
    super('CONFLICT', `'${key}' is already taken (${kind})`, { kind, key });
    this.name = 'ReservationTakenError';
  }
}

/**
 * Same Idempotency-Key, different request: replaying the first result would
 * answer a question the client did not ask, so refuse (422, like Stripe).
 */
export class IdempotencyKeyReusedError extends AppError {
  constructor(readonly commandId: string) {
    super(
      'UNPROCESSABLE_ENTITY',
      `The Idempotency-Key '${commandId}' was already used with a different request; use a new key for a new request`,
      { commandId },
    );
    this.name = 'IdempotencyKeyReusedError';
  }
}

function describeExpected(expected: ExpectedVersion): string {
  if (expected === 'no_stream') return 'no stream';
  if (expected === 'any') return 'any version';
  return String(expected);
}

export function isValidExpectedVersion(expected: unknown): expected is ExpectedVersion {
  return expected === 'no_stream' || expected === 'any' || (Number.isSafeInteger(expected) && (expected as number) >= 0);
}

export function expectedVersionMatches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  return expected === actual;
}
