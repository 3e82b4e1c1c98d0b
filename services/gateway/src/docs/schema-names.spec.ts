import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// @nestjs/swagger names each schema after its DTO class and keeps the last one
// it meets: two DTOs with one name silently publish one shape for both (it
// happened with MetricsDto). The document cannot show the loss, so the source is read.
const root = join(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Classes whose body declares a Swagger property: the ones that become schemas. */
export function schemaClasses(text: string): string[] {
  const names: string[] = [];
  const declaration = /\bclass\s+([A-Za-z0-9_$]+)[^{]*\{/g;
  const starts = [...text.matchAll(declaration)];
  starts.forEach((match, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].index : text.length;
    if (/@ApiProperty(Optional)?\s*\(/.test(text.slice(match.index, end))) names.push(match[1]);
  });
  return names;
}

describe('OpenAPI schema names', () => {
  it('given a class with a Swagger property, when the source is read, then it is found, and a plain class is not', () => {
    const text = 'class A { @ApiProperty() x!: string }\nclass B { y = 1 }\nexport class C extends A { @ApiPropertyOptional({}) z?: number }';
    expect(schemaClasses(text)).toEqual(['A', 'C']);
  });

  it('given every gateway DTO, then no two share a class name', () => {
    const seen = new Map<string, string[]>();
    for (const file of sources(root)) {
      for (const name of schemaClasses(readFileSync(file, 'utf8'))) {
        seen.set(name, [...(seen.get(name) ?? []), relative(root, file)]);
      }
    }
    expect(seen.size).toBeGreaterThan(50);
    const duplicates = [...seen].filter(([, files]) => files.length > 1).map(([name, files]) => `${name}: ${files.join(', ')}`);
    expect(duplicates).toEqual([]);
  });
});
