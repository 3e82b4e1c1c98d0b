import { posix } from 'node:path';
import { AppError, type ValidationIssue } from '@slipway/core';
import {
  APPLICATION_NAME_PATTERN,
  APPLICATION_NAME_RULE,
  COMMIT_SHA_PATTERN,
  ENV_KEY_PATTERN,
  ENV_VALUE_MAX,
  GIT_BRANCH_PATTERN,
  IMAGE_PATTERN,
  MAX_ENV_VARS,
  MAX_PORTS,
  MAX_REPLICAS,
  MAX_VOLUMES,
  VOLUME_SOURCE_PATTERN,
  type ApplicationConfig,
  type EnvVar,
  type EnvVarInput,
  type GitSourceInput,
  type GitSourceSpec,
  type HealthCheckInput,
  type HealthCheckSpec,
  type PortInput,
  type PortSpec,
  type PreviewSettings,
  type ResourceLimits,
  type ResourcesInput,
  type VolumeInput,
  type VolumeSpec,
} from '@slipway/deployments-contracts';
import { normalizeCommand } from './command-args';

/**
 * Input rules, shared by the service's application layer (which fills in
 * defaults before encrypting secrets) and the deciders (which re-check the
 * result). Every failure names its field, like the gateway's validation.
 */
export class Issues {
  readonly list: ValidationIssue[] = [];
  add(field: string, message: string, constraint: string, received?: unknown): void {
    this.list.push({ field, message, constraint, ...(received !== undefined ? { received } : {}) });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw AppError.validation(this.list);
  }
}

const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isNum = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

export function checkName(name: unknown, issues: Issues): void {
  if (typeof name !== 'string' || !APPLICATION_NAME_PATTERN.test(name)) {
    issues.add('name', `Name ${APPLICATION_NAME_RULE}`, 'pattern', name);
  }
}

export function checkReplicas(replicas: unknown, issues: Issues, field = 'replicas'): void {
  if (!isInt(replicas, 0, MAX_REPLICAS)) issues.add(field, `Replicas must be between 0 and ${MAX_REPLICAS}`, 'range', replicas);
}

export function checkImage(image: unknown, issues: Issues): void {
  if (typeof image !== 'string' || !IMAGE_PATTERN.test(image)) {
    issues.add('image', 'Image must be a Docker image reference such as nginx:1.27 or registry.example.com/team/app:tag', 'pattern', image);
  }
}

/** Accepted repository addresses; a leading '-' could be read by git as an option. */
const REPO_URL = /^(?!-)(?:(?:https?|ssh|git|file):\/\/[^\s]+|[\w.-]+@[\w.-]+:[^\s]+|\/[^\s]*)$/;

/** A relative path that stays inside its root ("./", "app", "services/api"). */
function safeRelative(path: unknown): string | undefined {
  if (typeof path !== 'string' || path.length > 500 || path.includes('\0') || path.startsWith('/')) return undefined;
  const normalized = posix.normalize(path.replace(/\\/g, '/'));
  if (normalized === '..' || normalized.startsWith('../')) return undefined;
  return normalized;
}

export function normalizeGitSource(input: GitSourceInput, issues: Issues, field = 'gitSource'): GitSourceSpec {
  const repoUrl = typeof input?.repoUrl === 'string' ? input.repoUrl.trim() : input?.repoUrl;
  if (typeof repoUrl !== 'string' || repoUrl.length > 2000 || !REPO_URL.test(repoUrl)) {
    issues.add(
      `${field}.repoUrl`,
      'repoUrl must be an https://, ssh:// or git@host:path URL, a file:// URL or an absolute path on the server',
      'format',
      repoUrl,
    );
  }
  const branch = input?.branch ?? 'main';
  if (typeof branch !== 'string' || !GIT_BRANCH_PATTERN.test(branch)) issues.add(`${field}.branch`, 'branch must be a valid git branch name', 'pattern', branch);
  const buildPath = safeRelative(input?.buildPath ?? './');
  if (buildPath === undefined) issues.add(`${field}.buildPath`, 'buildPath must be a relative path inside the repository', 'format', input?.buildPath);
  const dockerfile = safeRelative(input?.dockerfile ?? 'Dockerfile');
  if (dockerfile === undefined || dockerfile === '.') {
    issues.add(`${field}.dockerfile`, 'dockerfile must be a relative path inside the build path', 'format', input?.dockerfile);
  }
  const autoDeploy = input?.autoDeploy ?? true;
  if (typeof autoDeploy !== 'boolean') issues.add(`${field}.autoDeploy`, 'autoDeploy must be true or false', 'type', autoDeploy);
  return {
    repoUrl: String(repoUrl ?? ''),
    branch: String(branch),
    buildPath: buildPath ?? './',
    dockerfile: dockerfile ?? 'Dockerfile',
    autoDeploy: autoDeploy === true,
    // Encrypted by the application layer; here it is only carried along.
    webhookSecret: input?.webhookSecret ?? null,
  };
}

export function normalizeEnvVars(input: EnvVarInput[] | undefined, issues: Issues): EnvVar[] {
  if (input === undefined) return [];
  if (!Array.isArray(input) || input.length > MAX_ENV_VARS) {
    issues.add('envVars', `envVars must be a list of at most ${MAX_ENV_VARS} variables`, 'maxItems');
    return [];
  }
  const seen = new Set<string>();
  return input.map((v, i) => {
    checkEnvKey(v?.key, issues, `envVars[${i}].key`);
    if (typeof v?.value !== 'string' || v.value.length > ENV_VALUE_MAX) {
      issues.add(`envVars[${i}].value`, `value must be a string of at most ${ENV_VALUE_MAX} characters`, 'maxLength', v?.isSecret ? undefined : v?.value);
    }
    if (seen.has(v?.key)) issues.add(`envVars[${i}].key`, `Variable '${v.key}' appears twice`, 'unique', v.key);
    seen.add(v?.key);
    return { key: String(v?.key), value: String(v?.value ?? ''), isSecret: v?.isSecret === true };
  });
}

export function checkEnvKey(key: unknown, issues: Issues, field: string): void {
  if (typeof key !== 'string' || !ENV_KEY_PATTERN.test(key)) {
    issues.add(field, 'key must start with a letter or underscore and contain only letters, digits and underscores', 'pattern', key);
  }
}

export function normalizePorts(input: PortInput[] | undefined, issues: Issues): PortSpec[] {
  if (input === undefined) return [];
  if (!Array.isArray(input) || input.length > MAX_PORTS) {
    issues.add('ports', `ports must be a list of at most ${MAX_PORTS} ports`, 'maxItems');
    return [];
  }
  const seen = new Set<string>();
  return input.map((p, i) => {
    const protocol = p?.protocol ?? 'tcp';
    if (!isInt(p?.containerPort, 1, 65535)) issues.add(`ports[${i}].containerPort`, 'containerPort must be between 1 and 65535', 'range', p?.containerPort);
    if (protocol !== 'tcp' && protocol !== 'udp') issues.add(`ports[${i}].protocol`, 'protocol must be tcp or udp', 'enum', protocol);
    const id = `${p?.containerPort}/${protocol}`;
    if (seen.has(id)) issues.add(`ports[${i}]`, `Port ${id} appears twice`, 'unique', id);
    seen.add(id);
    return { containerPort: Number(p?.containerPort), protocol: protocol as PortSpec['protocol'] };
  });
}

export function normalizeVolumes(input: VolumeInput[] | undefined, issues: Issues, allowBindMounts: boolean): VolumeSpec[] {
  if (input === undefined) return [];
  if (!Array.isArray(input) || input.length > MAX_VOLUMES) {
    issues.add('volumes', `volumes must be a list of at most ${MAX_VOLUMES} mounts`, 'maxItems');
    return [];
  }
  const targets = new Set<string>();
  return input.map((v, i) => {
    if (typeof v?.source !== 'string' || !VOLUME_SOURCE_PATTERN.test(v.source)) {
      issues.add(`volumes[${i}].source`, 'source must be a volume name (letters, digits, _ . -) or an absolute host path', 'pattern', v?.source);
    } else if (v.source.startsWith('/') && !allowBindMounts) {
      issues.add(
        `volumes[${i}].source`,
        'Host paths (bind mounts) are disabled on this server (SLIPWAY_ALLOW_BIND_MOUNTS); use a volume name',
        'bindMount',
        v.source,
      );
    }
    if (typeof v?.target !== 'string' || !/^\/[^\0]{0,254}$/.test(v.target) || posix.normalize(v.target) === '/') {
      issues.add(`volumes[${i}].target`, 'target must be an absolute path in the container, other than /', 'format', v?.target);
    }
    if (targets.has(v?.target)) issues.add(`volumes[${i}].target`, `Two volumes mount at ${v.target}`, 'unique', v.target);
    targets.add(v?.target);
    if (v?.readOnly !== undefined && typeof v.readOnly !== 'boolean') issues.add(`volumes[${i}].readOnly`, 'readOnly must be a boolean', 'type', v.readOnly);
    return { source: String(v?.source), target: String(v?.target), readOnly: v?.readOnly === true };
  });
}

export function normalizeHealthCheck(input: HealthCheckInput | null | undefined, issues: Issues): HealthCheckSpec | null {
  if (input === undefined || input === null) return null;
  const h = {
    command: input.command,
    interval: input.interval ?? 30,
    timeout: input.timeout ?? 10,
    retries: input.retries ?? 3,
    startPeriod: input.startPeriod ?? 0,
  };
  if (typeof h.command !== 'string' || h.command.trim().length === 0 || h.command.length > 1000) {
    issues.add('healthCheck.command', 'command must be a non-empty shell command of at most 1000 characters', 'length', h.command);
  }
  if (!isInt(h.interval, 1, 3600)) issues.add('healthCheck.interval', 'interval must be 1-3600 seconds', 'range', h.interval);
  if (!isInt(h.timeout, 1, 3600)) issues.add('healthCheck.timeout', 'timeout must be 1-3600 seconds', 'range', h.timeout);
  if (!isInt(h.retries, 0, 100)) issues.add('healthCheck.retries', 'retries must be 0-100', 'range', h.retries);
  if (!isInt(h.startPeriod, 0, 3600)) issues.add('healthCheck.startPeriod', 'startPeriod must be 0-3600 seconds', 'range', h.startPeriod);
  return h as HealthCheckSpec;
}

export function normalizeResources(input: ResourcesInput | undefined, issues: Issues, base: ResourceLimits = { memoryLimit: null, cpuLimit: null }): ResourceLimits {
  const r = { memoryLimit: input?.memoryLimit === undefined ? base.memoryLimit : input.memoryLimit, cpuLimit: input?.cpuLimit === undefined ? base.cpuLimit : input.cpuLimit };
  // The engine refuses limits below 6 MiB; a PaaS app below 8 is a typo.
  if (r.memoryLimit !== null && !isInt(r.memoryLimit, 8, 1_048_576)) {
    issues.add('resources.memoryLimit', 'memoryLimit must be 8-1048576 MiB, or null for none', 'range', r.memoryLimit);
  }
  if (r.cpuLimit !== null && !isNum(r.cpuLimit, 0.01, 1024)) issues.add('resources.cpuLimit', 'cpuLimit must be 0.01-1024 cores, or null for none', 'range', r.cpuLimit);
  return r;
}

export function checkCommitSha(sha: unknown, issues: Issues): void {
  if (sha !== undefined && (typeof sha !== 'string' || !COMMIT_SHA_PATTERN.test(sha))) {
    issues.add('commitSha', 'commitSha must be 7-64 hexadecimal characters', 'pattern', sha);
  }
}

export function checkBranch(branch: unknown, issues: Issues): void {
  if (branch !== undefined && (typeof branch !== 'string' || !GIT_BRANCH_PATTERN.test(branch))) {
    issues.add('branch', 'branch must be a valid git branch name', 'pattern', branch);
  }
}

/**
 * The invariants of a whole configuration (the deciders' check): one source,
 * replicas in range, well-formed parts. Secret values are ciphertext here, so
 * their length was checked before encryption.
 */
export function checkConfig(config: ApplicationConfig, issues: Issues): void {
  // At most one source; none means "not deployable yet" (deploy says so).
  if (config.image !== null && config.gitSource !== null) {
    issues.add('image', 'Give one source: image, or gitSource to build from a repository, not both', 'oneOf', undefined);
  }
  if (config.image !== null) checkImage(config.image, issues);
  if (config.gitSource !== null) normalizeGitSource(config.gitSource, issues);
  checkReplicas(config.replicas, issues);
  config.envVars.forEach((v, i) => checkEnvKey(v.key, issues, `envVars[${i}].key`));
  if (new Set(config.envVars.map((v) => v.key)).size !== config.envVars.length) issues.add('envVars', 'Variable keys must be unique', 'unique');
  if (config.envVars.length > MAX_ENV_VARS) issues.add('envVars', `At most ${MAX_ENV_VARS} variables`, 'maxItems', config.envVars.length);
  normalizePorts(config.ports, issues);
  normalizeVolumes(config.volumes, issues, true);
  normalizeHealthCheck(config.healthCheck, issues);
  normalizeResources(config.resources, issues);
  normalizeCommand(config.command, issues);
}

/** A webhook secret as given by a user (plaintext, before encryption). */
export function checkWebhookSecret(value: unknown, issues: Issues, field = 'gitSource.webhookSecret'): void {
  if (value === null || value === undefined) return;
  if (typeof value !== 'string' || value.length < 16 || value.length > 256 || [...value].some((c) => c.charCodeAt(0) < 0x20)) {
    // Never echo the value: it is a secret.
    issues.add(field, 'webhookSecret must be 16-256 printable characters', 'format');
  }
}

/** `previews: { enabled }` from a request; absent fields keep `base`. */
export function normalizePreviews(input: unknown, issues: Issues, base: PreviewSettings): PreviewSettings {
  if (input === undefined) return base;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    issues.add('previews', 'previews must be an object like {"enabled": true}', 'type');
    return base;
  }
  const enabled = (input as { enabled?: unknown }).enabled;
  if (enabled !== undefined && typeof enabled !== 'boolean') issues.add('previews.enabled', 'enabled must be a boolean', 'type', enabled);
  return { enabled: typeof enabled === 'boolean' ? enabled : base.enabled };
}
