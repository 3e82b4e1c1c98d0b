import type { ValidationIssue } from '@slipway/core';
import { echo } from './input-guard';
import { isSecretField } from './secret';

/** The subset of class-validator's ValidationError this needs (kept structural so it unit-tests without Nest). */
export interface ValidatorError {
  property: string;
  value?: unknown;
  /** The object validated (a DTO instance): tells which fields are @Secret. */
  target?: object;
  constraints?: Record<string, string>;
  children?: ValidatorError[];
}

/** class-validator's constraint names → the contract's vocabulary. */
const CONSTRAINT_NAMES: Record<string, string> = {
  matches: 'pattern',
  isLength: 'length',
  minLength: 'minLength',
  maxLength: 'maxLength',
  min: 'range',
  max: 'range',
  isInt: 'type',
  isString: 'type',
  isBoolean: 'type',
  isNumber: 'type',
  isUuid: 'format',
  isEmail: 'format',
  isIn: 'enum',
  isEnum: 'enum',
  whitelistValidation: 'unknownField',
  isNotEmpty: 'required',
  isDefined: 'required',
};

export function toValidationIssues(errors: ValidatorError[], parent = ''): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const field = echo(parent ? `${parent}.${error.property}` : error.property, 120);
    const secret = isSecretField(error.target, error.property);
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const issue: ValidationIssue = {
        field,
        message: constraint === 'whitelistValidation' ? `Unknown field '${field}'` : message,
        constraint: CONSTRAINT_NAMES[constraint] ?? constraint,
      };
      // Secrets are never echoed back, even when they are invalid; other
      // values only as short primitives (never a whole nested document).
      const received = secret ? undefined : receivedOf(error.value);
      if (received !== undefined) issue.received = received;
      issues.push(issue);
    }
    if (error.children?.length) issues.push(...toValidationIssues(error.children, field));
  }
  return issues;
}

function receivedOf(value: unknown): unknown {
  if (typeof value === 'string') return echo(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  return undefined;
}
