import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * Document rules applied once to the generated document, so every route —
 * including ones added later — complies without per-route decorators.
 */

/** Tags in one place; a controller's @ApiTags must name one of these (the lint test fails otherwise). */
export const TAGS: Record<string, string> = {
  auth: 'Log in, register, OIDC and the current session',
  users: 'The current user and their profile',
  teams: 'Teams, members and invitations',
  'api-keys': 'API keys for scripts and CI',
  projects: 'Projects group applications, databases and environments',
  environments: 'Environments of a project (production by default), where its applications and databases belong',
  applications: 'Applications: create, configure, deploy, scale and read logs',
  deployments: 'Deployments of applications, with status, progress and logs',
  databases: 'Managed databases, backups and backup destinations',
  domains: 'Custom domains and TLS certificates of applications',
  previews: 'Preview deployments of pull requests',
  webhooks: 'Incoming Git webhooks and outgoing webhook endpoints',
  audit: 'The audit log',
  metrics: "Platform metrics in the contract's shape, and the Prometheus scrape",
  health: 'Liveness and readiness of the platform',
};

type Operation = {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; $ref?: string }[];
  responses?: Record<string, { description?: string; headers?: Record<string, unknown>; $ref?: string }>;
  [key: string]: unknown;
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Controllers whose class name is not the resource the SDKs should name. */
const RESOURCES: Record<string, string> = {
  DestinationsController: 'BackupDestinations',
  AuditController: 'AuditEvents',
};

/** Ids the verb + resource rule cannot guess (methods named by a noun); new routes rather set @ApiOperation({ operationId }). */
const OPERATION_IDS: Record<string, string> = {
  'AuthController.register': 'register',
  'AuthController.login': 'login',
  'AuthController.logout': 'logout',
  'OidcController.login': 'startOidcLogin',
  'OidcController.callback': 'completeOidcLogin',
  'UsersController.me': 'getCurrentUser',
  'UsersController.updateMe': 'updateCurrentUser',
  'TeamsController.members': 'listTeamMembers',
  'TeamsController.addMember': 'addTeamMember',
  'TeamsController.changeRole': 'changeTeamMemberRole',
  'TeamsController.removeMember': 'removeTeamMember',
  'ApplicationsController.deployments': 'listApplicationDeployments',
  'ApplicationsController.logs': 'getApplicationLogs',
  'ApplicationsController.metrics': 'getApplicationMetrics',
  'DeploymentsController.logs': 'getDeploymentLogs',
  'DatabasesController.connection': 'getDatabaseConnection',
  'BackupsController.backup': 'backupDatabase',
  'HealthController.health': 'getHealth',
  'WebhooksController.github': 'receiveGithubWebhook',
  'WebhooksController.gitlab': 'receiveGitlabWebhook',
  'ApplicationWebhooksController.rotate': 'rotateApplicationWebhookSecret',
  'ApplicationWebhooksController.deliveries': 'listApplicationWebhookDeliveries',
  'WebhookEndpointsController.eventTypes': 'listWebhookEventTypes',
  'WebhookEndpointsController.rotate': 'rotateWebhookEndpointSecret',
  'WebhookEndpointsController.deliveries': 'listWebhookEndpointDeliveries',
  'WebhookEndpointsController.retry': 'retryWebhookDelivery',
};

function singular(word: string): string {
  if (/ies$/.test(word)) return word.slice(0, -3) + 'y';
  if (/(ss|us)$/.test(word)) return word;
  if (/(sh|ch|x)es$/.test(word)) return word.slice(0, -2);
  return word.replace(/s$/, '');
}

/**
 * camelCase id from controller and method when no @ApiOperation({ operationId }) is set:
 * ProjectsController.list → listProjects, ApplicationsController.deploy → deployApplication;
 * a method already naming its object (updateMe, listEnvironments) is kept.
 * Explicit ids win; duplicates fail in postProcess.
 */
export function operationIdFactory(controllerKey: string, methodKey: string): string {
  // Alias routes get `name[index]`; versions are dropped (the /api/v1 alias is not listed).
  const method = methodKey.replace(/\[\d+\]$/, '').replace(/[^A-Za-z0-9]/g, '');
  const named = OPERATION_IDS[`${controllerKey}.${method}`];
  if (named) return named;
  if (/[A-Z]/.test(method)) return method;
  if (method === 'remove') return operationIdFactory(controllerKey, 'delete');
  const resource = RESOURCES[controllerKey] ?? controllerKey.replace(/Controller$/, '').replace(/[^A-Za-z0-9]/g, '');
  if (!resource) return method;
  return method + (/^list/.test(method) ? resource : singular(resource));
}

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'Requests allowed in the current window', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
};
const X_REQUEST_ID = { description: 'The request id (also in error bodies as requestId)', schema: { type: 'string' } };
const ETAG = { description: 'Entity tag of the returned resource; send it as If-Match on PATCH/DELETE', schema: { type: 'string' } };
const LOCATION = { description: 'URL of the created resource', schema: { type: 'string' } };
const RETRY_AFTER = { description: 'Seconds to wait before retrying', schema: { type: 'integer' } };

export interface HandlerFacts {
  public: boolean;
  httpCode?: number;
}

const ERROR_REF = { $ref: '#/components/schemas/ErrorResponseDoc' };

export function postProcess(doc: OpenAPIObject, factsOf: (operationId: string) => HandlerFacts | undefined): OpenAPIObject {
  const paths: OpenAPIObject['paths'] = {};
  // The /api/v1 alias serves the same operations; it is stated in the description and servers, not listed twice.
  for (const [path, item] of Object.entries(doc.paths)) if (!path.startsWith('/api/v1/') && path !== '/api/v1') paths[path] = item;
  doc.paths = paths;

  const problems: string[] = [];
  const seen = new Map<string, string>();
  const usedTags = new Set<string>();
  doc.components = doc.components ?? {};
  doc.components.parameters = {
    ...(doc.components.parameters ?? {}),
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Replays the first response for 24h when the same key is sent again with the same body',
      schema: { type: 'string', maxLength: 255 },
    },
  };
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const id = op.operationId ?? '';
      if (!/^[a-z][A-Za-z0-9]*$/.test(id)) problems.push(`${where} has operationId '${id}', not camelCase letters and digits; set @ApiOperation({ operationId })`);
      const other = seen.get(id);
      if (other) problems.push(`operationId '${id}' is used by both ${other} and ${where}; set a unique @ApiOperation({ operationId })`);
      seen.set(id, where);
      for (const tag of op.tags ?? []) usedTags.add(tag);
      if (!op.tags?.length) problems.push(`${where} has no tag; add @ApiTags to its controller`);
      const facts = factsOf(id);
      if (facts?.public) op.security = [];
      op.responses = op.responses ?? {};
      const codes = Object.keys(op.responses);
      if (!codes.some((c) => /^2/.test(c))) {
        if (codes.some((c) => /^3/.test(c))) {
          // A redirect-only route (browser flows): anything else is the error format.
          op.responses.default = { description: 'An error, in the error format', content: { 'application/json': { schema: ERROR_REF } } } as never;
        } else {
          const status = String(facts?.httpCode ?? (method === 'post' ? 201 : 200));
          op.responses[status] = { description: status === '204' ? 'Done, no content' : 'Success' };
        }
      }
      // Every route is rate limited (RateLimitGuard and the boundary hooks).
      if (!codes.some((c) => /^4/.test(c))) {
        op.responses['429'] = { description: 'Too many requests', content: { 'application/json': { schema: ERROR_REF } } } as never;
      }
      if (method === 'post') {
        op.parameters = op.parameters ?? [];
        if (!op.parameters.some((p) => p.name?.toLowerCase() === 'idempotency-key' || p.$ref === '#/components/parameters/IdempotencyKey')) {
          op.parameters.push({ $ref: '#/components/parameters/IdempotencyKey' } as never);
        }
      }
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (response.$ref) continue;
        const headers: Record<string, unknown> = { 'X-Request-Id': X_REQUEST_ID, ...RATE_LIMIT_HEADERS };
        if (status === '429' || status === '503') headers['Retry-After'] = RETRY_AFTER;
        if (/^2/.test(status) && (method === 'get' || method === 'patch' || method === 'put' || method === 'post') && status !== '204') headers.ETag = ETAG;
        if (status === '201') headers.Location = LOCATION;
        response.headers = { ...headers, ...(response.headers ?? {}) };
      }
    }
  }
  const missing = [...usedTags].filter((t) => !(t in TAGS));
  if (missing.length) problems.push(`tags without a description in docs/openapi-post.ts TAGS: ${missing.join(', ')}`);
  if (problems.length) throw new Error(`OpenAPI document rules broken:\n- ${problems.join('\n- ')}`);
  doc.tags = Object.entries(TAGS).filter(([name]) => usedTags.has(name)).map(([name, description]) => ({ name, description }));
  return doc;
}
