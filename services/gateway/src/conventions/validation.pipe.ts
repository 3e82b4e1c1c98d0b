import { ValidationPipe } from '@nestjs/common';
import { AppError } from '@slipway/core';
import { toValidationIssues, type ValidatorError } from './validation';

/**
 * Bodies and queries are validated against their DTO classes: unknown fields
 * are rejected (not silently dropped) so typos surface, and every failure
 * lists field, message, constraint and the value received.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: false,
    // The validated object tells toValidationIssues which fields are @Secret
    // (it never reaches the response).
    validationError: { target: true },
    exceptionFactory: (errors) => AppError.validation(toValidationIssues(errors as unknown as ValidatorError[])),
  });
}
