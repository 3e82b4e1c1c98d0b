import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * Document rules that every route gets without its controller repeating them,
 * so routes added in parallel branches comply by construction (issue 14):
 * readable camelCase operationIds, one entry per route (the /api/v1 alias is
 * stated once), declared tags, servers, `security: []` on public routes.
 */

/** Tags in one place, with their descriptions (a route's @ApiTags must name one of these). */
export const TAGS: { name: string; description: string }[] = [
  { name: 'auth', description: 'Register, log in (password or OIDC), refresh, log out and accept invitations.' },
  { name: 'users', description: 'The signed-in user.' },
  { name: 'teams', description: 'Teams and their members.' },
  { name: 'projects', description: 'Projects group applications and databases.' },
  { name: 'environments', description: 'Environments of a project (production by default): where its applications and databases belong.' },
  { name: 'applications', description: 'Applications: create, configure, deploy, scale, logs.' },
  { name: 'deployments', description: 'Deployments and their progress.' },
  { name: 'databases', description: 'Managed databases, backups and restores.' },
  { name: 'webhooks', description: 'Incoming Git webhooks and outgoing webhook endpoints.' },
  { name: 'api-keys', description: 'API keys for scripts and CI.' },
  { name: 'audit', description: 'The audit log.' },
  { name: 'metrics', description: 'Platform metrics in the contract\'s shape, and the Prometheus scrape.' },
  { name: 'health', description: 'Liveness and readiness.' },
];

/** Where verb + noun reads badly (`meUser`, `healthHealth`). Keyed `Noun.method`. */
const RENAMES: Record<string, string> = {
  'Auth.register': 'register',
  'Auth.login': 'login',
  'Auth.logout': 'logout',
  'Oidc.login': 'oidcLogin',
  'Oidc.callback': 'oidcCallback',
  'Users.me': 'getMe',
  'Teams.members': 'listTeamMembers',
  'Audit.list': 'listAuditEntries',
  'Applications.deployments': 'listApplicationDeployments',
  'Applications.logs': 'getApplicationLogs',
  'Applications.metrics': 'getApplicationMetrics',
  'Deployments.logs': 'getDeploymentLogs',
  'Databases.connection': 'getDatabaseConnection',
  'Backups.backup': 'createBackup',
  'Health.health': 'getHealth',
  'ApplicationWebhooks.deliveries': 'listApplicationWebhookDeliveries',
  'WebhookEndpoints.deliveries': 'listWebhookEndpointDeliveries',
  'WebhookEndpoints.eventTypes': 'listWebhookEventTypes',
  'WebhookEndpoints.retry': 'retryWebhookDelivery',
};

const GENERIC = new Set(['list', 'create', 'get', 'update', 'remove', 'delete', 'test', 'rotate', 'revoke', 'logs', 'action', 'deliveries', 'retry']);

/** `ProjectsController` → `Projects`. */
function stem(controllerKey: string): string {
  return controllerKey.replace(/Controller$/, '');
}

function singular(noun: string): string {
  return noun.endsWith('ies') ? `${noun.slice(0, -3)}y` : noun.endsWith('s') ? noun.slice(0, -1) : noun;
}

/**
 * SwaggerDocumentOptions.operationIdFactory: `list` on ProjectsController →
 * `listProjects`, `get` → `getProject`, `deploy` on ApplicationsController →
 * `deployApplication`; a method already named in camelCase (`updateMe`) keeps
 * its name. Letters and digits only. Uniqueness is checked by
 * `applyConventions` (two controllers giving one id fail the document build).
 */
export function operationIdFactory(controllerKey: string, rawMethodKey: string): string {
  // Nest names a route's aliases (/api/x, /api/v1/x) `method[0]`, `method[1]`.
  const methodKey = rawMethodKey.replace(/\[\d+\]$/, '');
  const noun = stem(controllerKey);
  const renamed = RENAMES[`${noun}.${methodKey}`];
  if (renamed) return renamed;
  const id = /[A-Z]/.test(methodKey) && !GENERIC.has(methodKey)
    ? methodKey
    : methodKey === 'list' || methodKey === 'logs' || methodKey === 'deliveries'
      ? `${methodKey}${noun}`
      : `${methodKey}${singular(noun)}`;
  return id.replace(/[^A-Za-z0-9]/g, '');
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface ConventionInput {
  /** operationIds of the routes marked @Public(). */
  publicOperationIds: Set<string>;
  /** operationId → the status its handler answers on success (@HttpCode, else Nest's 201 for POST, 200 otherwise). */
  successStatus: Map<string, number>;
  /** `Class.property` of every @IsInt() property. */
  integers: Set<string>;
}

/** Output fields no validator sees that are integers by their name (counts, ports, replicas, sequence numbers). */
const INTEGER_NAME = /(?:Count|Replicas|Tasks|Port|Seconds)$|^(?:replicas|total|attempt|seq|retries|expiresIn|limit|tail|interval|timeout|startPeriod)$/;

/** `number` → `integer` where the value is one: @IsInt() inputs, query parameters of that name, and INTEGER_NAME outputs. */
function markIntegers(doc: OpenAPIObject, integers: Set<string>): void {
  const intNames = new Set([...integers].map((k) => k.slice(k.indexOf('.') + 1)));
  const retype = (schema: Json | undefined) => {
    if (schema && schema.type === 'number') schema.type = 'integer';
  };
  for (const [name, schema] of Object.entries((doc.components?.schemas ?? {}) as Record<string, Json>)) {
    for (const [prop, value] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
      if (integers.has(`${name}.${prop}`) || INTEGER_NAME.test(prop)) retype(value);
    }
  }
  for (const item of Object.values(doc.paths)) {
    for (const method of METHODS) {
      for (const p of (item[method]?.parameters ?? []) as unknown as Json[]) {
        if (typeof p.name === 'string' && (intNames.has(p.name) || INTEGER_NAME.test(p.name))) retype(p.schema as Json | undefined);
      }
    }
  }
}

type Json = Record<string, unknown>;
const ref = (to: string) => ({ $ref: to });

/** Standard headers and parameters, declared once and referenced by every operation they apply to. */
const HEADERS: Json = {
  'X-RateLimit-Limit': { description: 'Requests allowed in the current window', schema: { type: 'integer', minimum: 0 } },
  'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer', minimum: 0 } },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer', minimum: 0 } },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
  ETag: { description: "The resource's version; send it back as If-Match to update or delete only that version", schema: { type: 'string' } },
  Location: { description: 'URL of the created resource', schema: { type: 'string' } },
};
const RATE_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];
const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'Any unique string (e.g. a UUID): a retried POST with the same key and body answers the first response instead of acting twice',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

function addHeaders(response: Json, names: string[]): void {
  if (typeof response.$ref === 'string') return;
  const headers = (response.headers ?? {}) as Json;
  for (const name of names) if (!Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase())) headers[name] = ref(`#/components/headers/${name}`);
  response.headers = headers;
}

/**
 * A property Nest typed `object` from a TS `unknown` or union (`string | null`)
 * while its example is no object: the type is a guess, so the schema says any
 * JSON value rather than contradicting its own example.
 */
function untypeGuessedObjects(schema: unknown): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Json;
  const type = s.type;
  const isObject = type === 'object' || (Array.isArray(type) && type.includes('object'));
  if (isObject && !s.properties && !s.additionalProperties && 'example' in s && (s.example === null || typeof s.example !== 'object')) delete s.type;
  for (const value of Object.values(s)) if (value && typeof value === 'object') untypeGuessedObjects(value);
}

/** Post-processes the document Nest built. Mutates and returns it. */
export function applyConventions(doc: OpenAPIObject, input: ConventionInput): OpenAPIObject {
  // The URI versioning (VERSION_NEUTRAL + '1') makes Nest list each route twice.
  const paths: OpenAPIObject['paths'] = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    if (path.startsWith('/api/v1/') && doc.paths[`/api/${path.slice('/api/v1/'.length)}`]) continue;
    paths[path] = item;
  }
  doc.paths = paths;

  const seen = new Map<string, string>();
  const used = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (op.operationId) {
        const other = seen.get(op.operationId);
        if (other) throw new Error(`operationId '${op.operationId}' of ${where} is also ${other}'s`);
        seen.set(op.operationId, where);
        if (input.publicOperationIds.has(op.operationId)) op.security = [];
      }
      const responses = op.responses as unknown as Record<string, Json>;
      const codes = Object.keys(responses);
      if (codes.some((code) => code.startsWith('3')) && !codes.some((code) => code.startsWith('2')) && !responses.default) {
        // A redirect-only route (OIDC login): the other answers are errors in the one format.
        responses.default = { description: 'An error in the standard format', content: { 'application/json': { schema: ref('#/components/schemas/ErrorResponseDoc') } } };
      } else if (!codes.some((code) => code.startsWith('2'))) {
        const status = (op.operationId && input.successStatus.get(op.operationId)) ?? (method === 'post' ? 201 : 200);
        responses[String(status)] = { description: status === 204 ? 'Done (no content)' : 'Success' };
      }
      if (!responses['429']) {
        responses['429'] = {
          description: 'RATE_LIMIT_EXCEEDED: wait Retry-After seconds (X-RateLimit-* headers tell the budget)',
          content: { 'application/json': { schema: ref('#/components/schemas/ErrorResponseDoc') } },
        };
      }
      addHeaders(responses['429'], [...RATE_HEADERS, 'Retry-After']);
      for (const [code, response] of Object.entries(responses)) {
        if (!code.startsWith('2')) continue;
        addHeaders(response, RATE_HEADERS);
        if (code === '201') addHeaders(response, ['Location']);
        // Single resources carry their version (GET/PATCH /things/{id}, 201 of a create).
        if (code === '201' || ((method === 'get' || method === 'patch') && /\/\{[^}]+\}$/.test(path) && code === '200')) addHeaders(response, ['ETag']);
      }
      if (method === 'post') {
        const params = (op.parameters ?? []) as unknown as Json[];
        if (!params.some((p) => typeof p.name === 'string' && p.name.toLowerCase() === 'idempotency-key')) params.push(ref('#/components/parameters/IdempotencyKey'));
        op.parameters = params as unknown as typeof op.parameters;
      }
      for (const tag of op.tags ?? []) used.add(tag);
    }
  }
  const declared = new Map(TAGS.map((t) => [t.name, t]));
  const undeclared = [...used].filter((t) => !declared.has(t));
  if (undeclared.length > 0) throw new Error(`tags used but not declared in docs/openapi-conventions.ts TAGS: ${undeclared.join(', ')}`);
  const components = doc.components as Json;
  components.headers = { ...HEADERS, ...((components.headers as Json) ?? {}) };
  components.parameters = { IdempotencyKey: IDEMPOTENCY_KEY, ...((components.parameters as Json) ?? {}) };
  untypeGuessedObjects(components.schemas);
  markIntegers(doc, input.integers);
  doc.tags = TAGS.filter((t) => used.has(t.name));
  doc.servers = [{ url: '/', description: 'This Slipway platform. Every path is also served under /api/v1 (e.g. /api/v1/projects), the same operation.' }];
  return doc;
}
