import type { ValidationIssue } from '@slipway/core';

/** The subset of class-validator's ValidationError this needs (kept structural so it unit-tests without Nest). */
export interface ValidatorError {
  property: string;
  value?: unknown;
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

const SECRET_FIELD = /password|secret|token|key$/i;

export function toValidationIssues(errors: ValidatorError[], parent = ''): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const issue: ValidationIssue = {
        field,
        message: constraint === 'whitelistValidation' ? `Unknown field '${field}'` : message,
        constraint: CONSTRAINT_NAMES[constraint] ?? constraint,
      };
      // Secrets are never echoed back, even when they are invalid.
      if (!SECRET_FIELD.test(error.property)) issue.received = error.value;
      issues.push(issue);
    }
    if (error.children?.length) issues.push(...toValidationIssues(error.children, field));
  }
  return issues;
}
