import { envInt } from '@slipway/core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInstance } from '@slipway/messaging';
import { normalizeDomain } from './domain-name';
import type { PublishMode } from './service-spec';

/** The deployments service's settings, from the environment (README "Configuration"). */
export interface DeploymentsConfig {
  /**
   * The installation (SLIPWAY_INSTANCE): the `slipway.scope` label of all it
   * creates on the engine and the prefix of service (hence volume and image)
   * names, so installations sharing an engine never touch each other's.
   */
  instance: string;
  /** DOCKER_HOST syntax; default the local socket. */
  dockerHost: string | undefined;
  publishMode: PublishMode;
  /** Deployments running at once across all applications (one per application always). */
  concurrency: number;
  /** A deployment whose tasks are not all running (and healthy) by then fails. */
  deployTimeoutMs: number;
  /** Task failures of a new deployment after which it fails without waiting for the timeout. */
  maxTaskFailures: number;
  /** How long the wanted tasks must stay running (the same tasks) before a deployment counts as a success. */
  stableMs: number;
  /** The estimatedTime of a deployment, in seconds, while its application has no successful deployment to go by. */
  deployEstimateSeconds: number;
  cloneTimeoutMs: number;
  buildTimeoutMs: number;
  /** Times a deployment whose worker died is started again before it is marked failed. */
  maxResumes: number;
  reconcileIntervalMs: number;
  statsIntervalMs: number;
  /** Days of CPU/memory samples kept for /metrics. */
  metricsRetentionDays: number;
  /** Resource alerts: warn at this percentage of a limit, at this many restarts (0: never), clear below this percentage of the threshold. */
  alertPolicy: { warnRatio: number; restarts: number | null; clearRatio: number };
  workDir: string;
  allowLocalGit: boolean;
  allowBindMounts: boolean;
  stopGracePeriodSeconds: number;
  restartDelaySeconds: number;
  /** The reverse proxy (Caddy) serving application domains; README "Domains and HTTPS". */
  proxy: ProxyConfig;
}

export interface ProxyConfig {
  /** SLIPWAY_PROXY=on: Slipway runs Caddy and routes domains. */
  enabled: boolean;
  image: string;
  httpPort: number;
  httpsPort: number;
  /** Host directory for Caddy's admin socket and config (bind-mounted into the proxy). */
  dir: string;
  acme: { enabled: boolean; email?: string; ca?: string };
  /** How often routes are checked against the engine's tasks. */
  syncIntervalMs: number;
  /** Where Slipway reaches the proxy's HTTPS port to read the certificates it serves. */
  probeHost: string;
  /** SLIPWAY_DOMAIN: Slipway's own site on the proxy (HTTPS only), punycode; undefined when not set. */
  selfDomain?: string;
  /**
   * SLIPWAY_DOMAIN_UPSTREAM: host:port (comma-separated for several gateway
   * replicas) where Caddy reaches the gateway; empty → the docker_gwbridge
   * gateway address (the host, seen from a Swarm task) and the gateway's PORT.
   */
  selfUpstreams: string[];
  /** The gateway's PORT, for the default upstream. */
  gatewayPort: number;
  /** Re-checks of the certificate each domain is served with (README "Domains and HTTPS"). */
  certificates: CertificateCheckPolicy;
}

export interface CertificateCheckPolicy {
  /** First retry of a `pending`/`failed` certificate; doubles per attempt up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** A `valid` certificate is checked again this often (renewals change expiresAt) and at its expiry. */
  recheckMs: number;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got '${raw}'`);
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on' || raw === 'true' || raw === '1') return true;
  if (raw === 'off' || raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be on or off, got '${raw}'`);
}

function selfDomain(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.SLIPWAY_DOMAIN;
  if (raw === undefined || raw.trim() === '') return undefined;
  const domain = normalizeDomain(raw);
  if (!domain) throw new Error(`SLIPWAY_DOMAIN must be a host name such as slipway.example.com (no wildcard, no IP address), got '${raw}'`);
  return domain;
}

function upstreamList(env: NodeJS.ProcessEnv): string[] {
  const list = (env.SLIPWAY_DOMAIN_UPSTREAM ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const u of list) {
    const port = Number(u.slice(u.lastIndexOf(':') + 1));
    if (!u.includes(':') || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`SLIPWAY_DOMAIN_UPSTREAM must be host:port[,host:port…], got '${u}'`);
  }
  return list;
}

export function loadDeploymentsConfig(env: NodeJS.ProcessEnv = process.env): DeploymentsConfig {
  const publishMode = (env.SLIPWAY_PUBLISH_MODE ?? 'host') as PublishMode;
  // Swarm's routing mesh needs IPVS in the kernel; host mode works everywhere.
  if (publishMode !== 'host' && publishMode !== 'ingress') throw new Error(`SLIPWAY_PUBLISH_MODE must be host or ingress, got '${publishMode}'`);
  return {
    instance: resolveInstance(env),
    dockerHost: env.DOCKER_HOST || undefined,
    publishMode,
    concurrency: envInt(env, 'SLIPWAY_DEPLOY_CONCURRENCY', 2, 1, 64),
    deployTimeoutMs: envInt(env, 'SLIPWAY_DEPLOY_TIMEOUT_MS', 180_000, 1000, 86_400_000),
    maxTaskFailures: envInt(env, 'SLIPWAY_DEPLOY_MAX_TASK_FAILURES', 3, 1, 1000),
    stableMs: envInt(env, 'SLIPWAY_DEPLOY_STABLE_MS', 2000, 0, 600_000),
    deployEstimateSeconds: envInt(env, 'SLIPWAY_DEPLOY_ESTIMATE_SECONDS', 60, 1, 86_400),
    cloneTimeoutMs: envInt(env, 'SLIPWAY_CLONE_TIMEOUT_MS', 300_000, 1000, 86_400_000),
    buildTimeoutMs: envInt(env, 'SLIPWAY_BUILD_TIMEOUT_MS', 1_800_000, 1000, 86_400_000),
    maxResumes: envInt(env, 'SLIPWAY_DEPLOY_MAX_RESUMES', 1, 0, 10),
    reconcileIntervalMs: envInt(env, 'SLIPWAY_RECONCILE_INTERVAL_MS', 5000, 100, 3_600_000),
    statsIntervalMs: envInt(env, 'SLIPWAY_STATS_INTERVAL_MS', 15_000, 1000, 3_600_000),
    metricsRetentionDays: envInt(env, 'SLIPWAY_METRICS_RETENTION_DAYS', 30, 1, 3650),
    alertPolicy: {
      warnRatio: envInt(env, 'SLIPWAY_ALERT_THRESHOLD_PERCENT', 80, 1, 1000) / 100,
      restarts: envInt(env, 'SLIPWAY_ALERT_RESTARTS', 3, 0, 1_000_000) || null,
      clearRatio: envInt(env, 'SLIPWAY_ALERT_CLEAR_PERCENT', 90, 1, 100) / 100,
    },
    workDir: env.SLIPWAY_WORK_DIR || join(tmpdir(), 'slipway-builds'),
    allowLocalGit: bool(env, 'SLIPWAY_GIT_ALLOW_LOCAL', false),
    allowBindMounts: bool(env, 'SLIPWAY_ALLOW_BIND_MOUNTS', false),
    stopGracePeriodSeconds: envInt(env, 'SLIPWAY_STOP_GRACE_SECONDS', 10, 0, 3600),
    restartDelaySeconds: envInt(env, 'SLIPWAY_RESTART_DELAY_SECONDS', 2, 0, 3600),
    proxy: {
      enabled: onOff(env, 'SLIPWAY_PROXY', false),
      image: env.SLIPWAY_PROXY_IMAGE || 'caddy:2',
      httpPort: envInt(env, 'SLIPWAY_PROXY_HTTP_PORT', 80, 1, 65535),
      httpsPort: envInt(env, 'SLIPWAY_PROXY_HTTPS_PORT', 443, 1, 65535),
      dir: env.SLIPWAY_PROXY_DIR || join(env.SLIPWAY_WORK_DIR || join(tmpdir(), 'slipway-builds'), `proxy-${resolveInstance(env)}`),
      acme: {
        enabled: onOff(env, 'SLIPWAY_ACME', true),
        ...(env.SLIPWAY_ACME_EMAIL ? { email: env.SLIPWAY_ACME_EMAIL } : {}),
        ...(env.SLIPWAY_ACME_CA ? { ca: env.SLIPWAY_ACME_CA } : {}),
      },
      syncIntervalMs: envInt(env, 'SLIPWAY_PROXY_SYNC_MS', 500, 100, 60_000),
      probeHost: env.SLIPWAY_PROXY_PROBE_HOST || '127.0.0.1',
      ...(selfDomain(env) ? { selfDomain: selfDomain(env) } : {}),
      selfUpstreams: upstreamList(env),
      gatewayPort: envInt(env, 'PORT', 3000, 1, 65535),
      certificates: {
        retryBaseMs: envInt(env, 'SLIPWAY_CERT_RETRY_MS', 1000, 100, 3_600_000),
        retryMaxMs: envInt(env, 'SLIPWAY_CERT_RETRY_MAX_MS', 300_000, 100, 86_400_000),
        recheckMs: envInt(env, 'SLIPWAY_CERT_RECHECK_MS', 3_600_000, 1000, 86_400_000),
      },
    },
  };
}
