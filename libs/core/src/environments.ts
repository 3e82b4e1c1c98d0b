import { createHash } from 'node:crypto';

/**
 * Every project has a default environment, `production`, made with the
 * project. Its id is derived from the project id (UUIDv5 in a fixed
 * namespace), so any service can name it without asking the projects
 * service: upcasters give old events their environment this way, and a
 * create without `environmentId` lands there.
 */
export const DEFAULT_ENVIRONMENT_NAME = 'production';

/** Fixed namespace of default environment ids (never change it: ids are stored in events). */
export const ENVIRONMENT_NAMESPACE = '5b0b6a3e-3c1f-4f6e-9a51-8d2f4e7c9a10';

/** RFC 9562 UUIDv5 (SHA-1 of namespace bytes and name). */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`Invalid namespace uuid '${namespace}'`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of a project's default environment (lower-case project id, so one project has one). */
export const defaultEnvironmentId = (projectId: string): string => uuidV5(projectId.toLowerCase(), ENVIRONMENT_NAMESPACE);
