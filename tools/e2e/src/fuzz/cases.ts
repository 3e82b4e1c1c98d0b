import type { Random } from './random';
import { NESTED, EVIL_STRINGS, EVIL_NUMBERS, EVIL_OTHERS, QUERY_VALUES, PATH_IDS, RAW_BODIES, CONTENT_TYPES, IF_MATCH, IDEMPOTENCY_KEYS, AUTH_HEADERS } from './values';

/** The parts of an OpenAPI 3 document the fuzzer reads. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  nullable?: boolean;
}

export interface Operation {
  method: string;
  /** As in the document: /api/projects/{id} */
  path: string;
  pathParams: string[];
  queryParams: Array<{ name: string; schema: Schema }>;
  body?: Schema;
}

export interface FuzzCase {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent without credentials. */
  anonymous: boolean;
  /** Which generator made it (for the report). */
  strategy: string;
  /** `METHOD /path/{template}` it was generated for. */
  operation: string;
}

/** Real ids of fixtures, used now and then so requests get past the 404s. */
export interface FuzzFixtures {
  projectId: string;
  applicationId: string;
  teamId: string;
  userId: string;
}

export function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: Array<{ in: string; name: string; schema?: Schema }> = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? { type: 'string' } })),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------- generation

export class CaseGenerator {
  constructor(
    private readonly doc: { components?: { schemas?: Record<string, Schema> } },
    private readonly fixtures: FuzzFixtures,
  ) {}

  /** `count` cases for one operation, drawn from `rng`. */
  casesFor(op: Operation, rng: Random, count: number): FuzzCase[] {
    const strategies = ['valid', 'query', 'pathId', 'headers', 'anonymous', 'methodsBody'];
    if (op.body) strategies.push('mutateField', 'typeConfusion', 'deepField', 'hugeField', 'unknownField', 'missingRequired', 'rawBody', 'contentType');
    const cases: FuzzCase[] = [];
    for (let i = 0; i < count; i++) {
      // Every strategy at least once, then at random.
      const strategy = i < strategies.length ? strategies[i]! : rng.pick(strategies);
      cases.push(this.caseOf(op, rng, strategy));
    }
    return cases;
  }

  private caseOf(op: Operation, rng: Random, strategy: string): FuzzCase {
    const headers: Record<string, string> = {};
    let path = this.pathFor(op, rng, strategy === 'pathId');
    const query = this.queryFor(op, rng, strategy === 'query');
    if (query) path += `?${query}`;
    let body: Buffer | undefined;
    const valid = op.body ? this.valueOf(op.body, rng, 0) : undefined;
    const json = (value: unknown) => {
      headers['content-type'] = 'application/json';
      return Buffer.from(JSON.stringify(value));
    };
    switch (strategy) {
      case 'mutateField':
        body = json(this.withField(valid, rng, rng.chance(0.6) ? rng.pick(EVIL_STRINGS) : rng.pick(EVIL_NUMBERS)));
        break;
      case 'typeConfusion':
        body = json(this.withField(valid, rng, rng.pick([...EVIL_OTHERS, ...EVIL_NUMBERS, ...EVIL_STRINGS.slice(0, 6)])));
        break;
      case 'deepField': {
        const depth = rng.pick([40, 500, 3000]);
        const raw = JSON.stringify(this.withField(valid, rng, '__DEEP__')).replace('"__DEEP__"', NESTED(depth, rng.chance(0.5) ? 'array' : 'object'));
        headers['content-type'] = 'application/json';
        body = Buffer.from(raw);
        break;
      }
      case 'hugeField':
        body = json(this.withField(valid, rng, rng.pick(['x'.repeat(100_000), '😀'.repeat(40_000), 'a\u0000'.repeat(1000)])));
        break;
      case 'unknownField':
        body = json(isObject(valid) ? { ...valid, [rng.pick(['bogus', '__proto__x', 'constructor', '\u0000', 'id', 'ownerId', 'x'.repeat(500)])]: 1 } : { bogus: 1 });
        break;
      case 'missingRequired':
        body = json(isObject(valid) ? Object.fromEntries(Object.entries(valid).filter(() => rng.chance(0.3))) : {});
        break;
      case 'rawBody':
        headers['content-type'] = 'application/json';
        body = rng.pick(RAW_BODIES)();
        break;
      case 'contentType': {
        const type = rng.pick(CONTENT_TYPES);
        if (type) headers['content-type'] = type;
        body = Buffer.from(rng.chance(0.5) ? JSON.stringify(valid ?? {}) : 'name=x&y=%00');
        break;
      }
      case 'methodsBody':
        // A body where none is expected, or none where one is.
        if (!op.body) body = json(rng.pick([{ a: 1 }, 'x', [1]]));
        break;
      case 'headers':
        if (op.body) body = json(valid);
        Object.assign(headers, rng.pick([{ 'if-match': rng.pick(IF_MATCH) }, { 'idempotency-key': rng.pick(IDEMPOTENCY_KEYS) }, { authorization: rng.pick(AUTH_HEADERS) }, { 'x-api-key': rng.pick(['sk_x', 'x'.repeat(500), '']) }, { accept: rng.pick(['text/html', 'application/xml', '*/*;q=x']) }, { 'x-request-id': rng.pick(['bad id', 'x'.repeat(300), 'ok-id']) }]));
        break;
      default:
        if (op.body) body = json(valid);
    }
    const anonymous = strategy === 'anonymous' || (strategy !== 'headers' && rng.chance(0.1)) || headers.authorization !== undefined;
    // The document lists each route once under /api; the /api/v1 alias serves the same operations, so a share goes there.
    if (rng.chance(0.25)) path = path.replace(/^\/api\//, '/api/v1/');
    return { method: op.method, url: path, headers, body, anonymous, strategy, operation: `${op.method} ${op.path}` };
  }

  private pathFor(op: Operation, rng: Random, odd: boolean): string {
    return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (odd || rng.chance(0.15)) return rng.pick(PATH_IDS);
      if (this.mayUseRealId(op) && rng.chance(0.5)) return this.realIdFor(op.path, name);
      return rng.uuid();
    });
  }

  /**
   * Real resources are read and edited, never deployed, scaled, stopped,
   * deleted or tailed: the fuzz run must not start containers on the engine
   * or remove the fixtures the other operations need.
   */
  private mayUseRealId(op: Operation): boolean {
    if (op.method === 'DELETE' || /\/(deploy|scale|stop|start|restart|rollback|cancel|logs)$/.test(op.path)) return false;
    return op.method === 'GET' || op.method === 'PATCH' || op.method === 'POST';
  }

  private realIdFor(path: string, name: string): string {
    if (name === 'userId') return this.fixtures.userId;
    if (name === 'projectId' || path.includes('/projects/')) return this.fixtures.projectId;
    if (path.includes('/applications/')) return this.fixtures.applicationId;
    if (path.includes('/teams/')) return this.fixtures.teamId;
    return this.fixtures.projectId;
  }

  private queryFor(op: Operation, rng: Random, odd: boolean): string {
    const parts: string[] = [];
    for (const param of op.queryParams) {
      if (!odd && !rng.chance(0.3)) continue;
      if (odd && !rng.chance(0.6)) continue;
      const value = odd ? rng.pick(QUERY_VALUES) : encodeURIComponent(String(this.valueOf(param.schema, rng, 0) ?? ''));
      parts.push(`${param.name}=${value}`);
      if (odd && rng.chance(0.15)) parts.push(`${param.name}=${rng.pick(QUERY_VALUES)}`); // repeated: arrives as an array
    }
    if (odd && rng.chance(0.3)) parts.push(rng.pick(['bogus=1', '%00=1', 'a[b]=1', '__proto__=1', 'constructor[prototype]=1', '=', '&&&']));
    return parts.join('&');
  }

  private resolve(schema: Schema): Schema {
    let s = schema;
    for (let i = 0; i < 10 && s.$ref; i++) s = this.doc.components?.schemas?.[s.$ref.split('/').pop()!] ?? {};
    if (s.allOf?.length) return this.resolve({ ...s, ...s.allOf.reduce((a, b) => ({ ...a, ...this.resolve(b) }), {}), allOf: undefined });
    if (s.oneOf?.length || s.anyOf?.length) return this.resolve((s.oneOf ?? s.anyOf)![0]!);
    return s;
  }

  /** A plausible value for a schema: examples and enums first, so requests often pass validation. */
  valueOf(schema: Schema, rng: Random, depth: number): unknown {
    const s = this.resolve(schema);
    if (s.enum?.length) return rng.pick(s.enum);
    if (s.example !== undefined && rng.chance(0.8)) return s.example;
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
    switch (type ?? (s.properties ? 'object' : 'string')) {
      case 'object': {
        if (depth > 4) return {};
        const out: Record<string, unknown> = {};
        for (const [name, prop] of Object.entries(s.properties ?? {})) {
          if (s.required?.includes(name) || rng.chance(0.4)) out[name] = this.valueOf(prop, rng, depth + 1);
        }
        return out;
      }
      case 'array':
        return depth > 4 ? [] : Array.from({ length: rng.int(0, 2) }, () => this.valueOf(s.items ?? {}, rng, depth + 1));
      case 'integer':
      case 'number': {
        const min = s.minimum ?? 0;
        const max = s.maximum ?? Math.max(min, 100);
        return rng.int(Math.ceil(min), Math.floor(max));
      }
      case 'boolean':
        return rng.chance(0.5);
      default:
        if (s.format === 'uuid') return rng.chance(0.5) ? rng.pick(Object.values(this.fixtures)) : rng.uuid();
        if (s.format === 'date-time') return new Date(Date.UTC(2030, 0, 1)).toISOString();
        if (s.format === 'email') return `fz${rng.int(0, 1e9)}@example.com`;
        if (s.format === 'password') return 'correct-horse-battery';
        return `fz-${rng.int(0, 1e9)}`;
    }
  }

  /** The valid value with one field (at any depth of the first object) replaced. */
  private withField(valid: unknown, rng: Random, replacement: unknown): unknown {
    if (!isObject(valid) || Object.keys(valid).length === 0) return rng.chance(0.5) ? { name: replacement } : replacement;
    const copy: Record<string, unknown> = { ...valid };
    const key = rng.pick(Object.keys(copy));
    const current = copy[key];
    if (isObject(current) && Object.keys(current).length > 0 && rng.chance(0.5)) copy[key] = this.withField(current, rng, replacement);
    else if (Array.isArray(current) && current.length > 0 && isObject(current[0]) && rng.chance(0.5)) copy[key] = [this.withField(current[0], rng, replacement)];
    else copy[key] = replacement;
    return copy;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
