import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { PG_INT_MAX } from './bounds';

// The DTOs' OpenAPI decorators come from an ES module jest cannot load; they
// play no part in validation, so they are no-ops here.
jest.mock('@nestjs/swagger', () => {
  const decorator = () => () => undefined;
  return { ApiProperty: decorator, ApiPropertyOptional: decorator, ApiHideProperty: decorator };
});
jest.mock('./api-docs', () => ({ PaginationDoc: class PaginationDoc {} }));

type DtoClass = new (...args: never[]) => object;

/** Every DTO module of the gateway (each module's folder has its `*.dto.ts`). */
function loadDtoClasses(): DtoClass[] {
  const root = join(__dirname, '..');
  const classes: DtoClass[] = [];
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(join(root, dir.name))) {
      if (!file.endsWith('.dto.ts')) continue;
      for (const value of Object.values(require(join(root, dir.name, file)) as Record<string, unknown>)) {
        if (typeof value === 'function') classes.push(value as DtoClass);
      }
    }
  }
  return classes;
}

describe('numeric bounds of every DTO', () => {
  it('gives every integer and number field a minimum and a maximum that fit a PostgreSQL integer', () => {
    // given every class-validator rule of every gateway DTO
    const classes = loadDtoClasses();
    expect(classes.length).toBeGreaterThan(10);
    const storage = getMetadataStorage();
    const unbounded: string[] = [];

    // when the numeric fields are listed with their min/max
    for (const cls of classes) {
      const rules = storage.getTargetValidationMetadatas(cls, '', true, false);
      const numeric = new Set(rules.filter((r) => r.name === 'isInt' || r.name === 'isNumber').map((r) => r.propertyName));
      for (const property of numeric) {
        const min = rules.find((r) => r.propertyName === property && r.name === 'min');
        const max = rules.find((r) => r.propertyName === property && r.name === 'max');
        const maxValue = Number(max?.constraints?.[0]);
        if (!min || !max || !(maxValue <= PG_INT_MAX)) unbounded.push(`${cls.name}.${property}`);
      }
    }

    // then none is missing a bound
    expect(unbounded).toEqual([]);
  });

  it('gives every string field a length bound (or a format that implies one)', () => {
    const storage = getMetadataStorage();
    const BOUNDING = new Set(['maxLength', 'isLength', 'isUuid', 'isIn', 'isEnum', 'isEmail', 'isIso8601', 'isDateString']);
    const unbounded: string[] = [];
    for (const cls of loadDtoClasses()) {
      const rules = storage.getTargetValidationMetadatas(cls, '', true, false);
      for (const property of new Set(rules.filter((r) => r.name === 'isString').map((r) => r.propertyName))) {
        const own = rules.filter((r) => r.propertyName === property);
        // A pattern without open-ended quantifiers bounds the length too.
        const boundedPattern = own.some((r) => r.name === 'matches' && !/[*+]|\{\d+,\}/.test(withoutLookarounds((r.constraints?.[0] as RegExp).source)));
        if (!boundedPattern && !own.some((r) => BOUNDING.has(String(r.name)))) unbounded.push(`${cls.name}.${property}`);
      }
    }
    expect(unbounded).toEqual([]);
  });

  it('gives every array field a maximum size', () => {
    const storage = getMetadataStorage();
    const unbounded: string[] = [];
    for (const cls of loadDtoClasses()) {
      const rules = storage.getTargetValidationMetadatas(cls, '', true, false);
      for (const property of new Set(rules.filter((r) => r.name === 'isArray').map((r) => r.propertyName))) {
        if (!rules.some((r) => r.propertyName === property && r.name === 'arrayMaxSize')) unbounded.push(`${cls.name}.${property}`);
      }
    }
    expect(unbounded).toEqual([]);
  });
});

const withoutLookarounds = (source: string): string => source.replace(/\(\?<?[!=][^)]*\)/g, '');
