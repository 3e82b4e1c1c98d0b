import { createHash } from 'node:crypto';

/**
 * The instance name keeps installations that share a NATS server (or a Docker
 * engine) apart: it is the first token of every subject, and names the
 * JetStream stream, queue groups and durable consumers. Every process of one
 * installation derives the same name from the same environment.
 */
export const DEFAULT_INSTANCE = 'slipway';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/slipway';

const INSTANCE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * `SLIPWAY_INSTANCE`, or derived from the database (host, port, name) and
 * `SLIPWAY_SCHEMA_PREFIX`: two installations never share both. The install on
 * the default database without a prefix is `slipway`, so its public subjects
 * stay `slipway.events.<service>.<Type>`.
 */
export function resolveInstance(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.SLIPWAY_INSTANCE?.trim();
  if (explicit) {
    if (!INSTANCE_PATTERN.test(explicit)) {
      throw new Error(`SLIPWAY_INSTANCE must be 1-32 characters of a-z, 0-9, '-' and '_', starting with a letter or digit; got '${explicit}'`);
    }
    return explicit;
  }
  const prefix = env.SLIPWAY_SCHEMA_PREFIX ?? '';
  let url: URL;
  try {
    url = new URL(env.DATABASE_URL || DEFAULT_DATABASE_URL);
  } catch {
    throw new Error('DATABASE_URL is not a valid URL, so no instance name can be derived from it: set SLIPWAY_INSTANCE');
  }
  const host = url.hostname.toLowerCase();
  const port = url.port || '5432';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  if (!prefix && LOCAL_HOSTS.has(host) && port === '5432' && database === 'slipway') return DEFAULT_INSTANCE;
  const hash = createHash('sha256').update(`${host}:${port}/${database}|${prefix}`).digest('hex').slice(0, 8);
  // A readable part first (the prefix, else the database), so operators can tell installations apart.
  const readable = (prefix || database).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 20);
  return readable ? `${readable}-${hash}` : `slipway-${hash}`;
}

let processInstance: string | undefined;

/** This process's instance, from its environment (read once). */
export function currentInstance(): string {
  return (processInstance ??= resolveInstance(process.env));
}

/** A request subject as contracts define it (`projects.cmd.create`) → `<instance>.projects.cmd.create`. */
export function requestSubject(subject: string, instance: string = currentInstance()): string {
  return `${instance}.${subject}`;
}

/**
 * A public event subject or filter as contracts write it, `slipway.events.…`
 * (the `slipway` token stands for the instance) → `<instance>.events.…`.
 * Subjects under another root are taken as they are (tests use their own).
 */
export function eventSubjectOf(subject: string, instance: string = currentInstance()): string {
  return subject.startsWith(`${DEFAULT_INSTANCE}.events.`) ? `${instance}${subject.slice(DEFAULT_INSTANCE.length)}` : subject;
}

/** `<instance>.events`: what the events stream captures (`<prefix>.>`). */
export function eventsPrefix(instance: string = currentInstance()): string {
  return `${instance}.events`;
}

/** `SLIPWAY_EVENTS` for the default instance, `<INSTANCE>_EVENTS` otherwise. */
export function eventsStreamName(instance: string = currentInstance()): string {
  return `${instance.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_EVENTS`;
}
