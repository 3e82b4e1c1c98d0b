import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

// As in bounds.spec.ts: the OpenAPI decorators come from an ES module jest cannot load and play no part in validation.
jest.mock('@nestjs/swagger', () => {
  const decorator = () => () => undefined;
  return { ApiProperty: decorator, ApiPropertyOptional: decorator, ApiHideProperty: decorator };
});
jest.mock('../conventions/api-docs', () => ({ PaginationDoc: class PaginationDoc {} }));

const { CreateDatabaseDto, UpdateDatabaseDto } = require('./databases.dto') as typeof import('./databases.dto');

const failures = (cls: new () => object, body: unknown): string[] =>
  validateSync(plainToInstance(cls, body) as object).flatMap((e) => [e.property, ...(e.children ?? []).map((c) => `${e.property}.${c.property}`)]);

describe('database DTOs: the settings create and update share', () => {
  const create = { name: 'main-db', type: 'postgresql', version: '15', projectId: '6f1c0a2b-0000-4000-8000-000000000000' };

  it.each([
    [{ externalPort: 80 }, 'externalPort'],
    [{ resources: { memoryLimit: 8 } }, 'resources.memoryLimit'],
    [{ backupSchedule: { cron: '0 3 * * *', keepLast: 0 } }, 'backupSchedule.keepLast'],
  ])('given %j, then both refuse it on the same field', (fields, field) => {
    expect(failures(CreateDatabaseDto, { ...create, ...fields })).toContain(field);
    expect(failures(UpdateDatabaseDto, fields)).toContain(field);
  });

  it('given nulls (unpublish, no limit, no schedule) or nothing, then both accept them', () => {
    const nulls = { externalPort: null, resources: { memoryLimit: null }, backupSchedule: null };
    expect(failures(CreateDatabaseDto, { ...create, ...nulls })).toEqual([]);
    expect(failures(UpdateDatabaseDto, nulls)).toEqual([]);
    expect(failures(UpdateDatabaseDto, {})).toEqual([]);
  });

  it('given a create without its own fields, then name, type, version and projectId are required there only', () => {
    expect(failures(CreateDatabaseDto, {})).toEqual(expect.arrayContaining(['name', 'type', 'version', 'projectId']));
  });
});
