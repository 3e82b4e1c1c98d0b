import { AppError } from '@slipway/core';
import { echo } from '../conventions/input-guard';
import type { Input } from './wire';

/**
 * Reading Dokploy's inputs: only the fields a procedure uses are read (the
 * rest is ignored, as Dokploy's zod objects strip them), each bounded. These
 * check types only; what a value may be is decided by Slipway's own DTOs and
 * services, through the REST route each procedure mirrors.
 */
const MAX_TEXT = 64 * 1024;

function invalid(field: string, message: string): AppError {
  return AppError.validation([{ field, message, constraint: 'type' }], message);
}

export function optionalString(input: Input, field: string, max = MAX_TEXT): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field, `${field} must be a string`);
  if (value.length > max) throw invalid(field, `${field} must be at most ${max} characters`);
  return value;
}

/** Dokploy's CLI sends empty strings for "none" (username, password, registryUrl, description). */
export function optionalText(input: Input, field: string, max = MAX_TEXT): string | undefined {
  const value = optionalString(input, field, max);
  return value === '' ? undefined : value;
}

export function requiredString(input: Input, field: string, max = 200): string {
  const value = optionalString(input, field, max);
  if (value === undefined || value === '') throw invalid(field, `${field} is required`);
  return value;
}

export function optionalNumber(input: Input, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(field, `${field} must be a number`);
  return n;
}

export function optionalBoolean(input: Input, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalid(field, `${field} must be a boolean`);
}

/** `KEY=VALUE` lines (dotenv): blank lines and `#` comments skipped, `export ` and surrounding quotes dropped. */
export function parseEnv(text: string, field = 'env'): Array<{ key: string; value: string }> {
  const vars = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw invalid(field, `${field}: '${echo(line)}' is not KEY=VALUE`);
    const key = line.slice(0, eq).replace(/^export\s+/, '').trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) value = value.slice(1, -1);
    vars.set(key, value);
  }
  return [...vars].map(([key, value]) => ({ key, value }));
}

export function formatEnv(vars: Array<{ key: string; value: string }>): string {
  return vars.map((v) => `${v.key}=${v.value}`).join('\n');
}
