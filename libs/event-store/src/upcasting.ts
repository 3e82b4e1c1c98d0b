import type { Upcaster, UpcasterRegistration } from './types';

/**
 * Events are immutable, so schema changes are handled on read: stored data
 * stays at the version it was written with and every reader sees the current
 * shape. Chains are explicit (1→2, 2→3) so each step stays small and testable.
 */
export class UpcasterChain {
  private readonly steps = new Map<string, Map<number, Upcaster>>();
  private readonly current = new Map<string, number>();

  constructor(registrations: readonly UpcasterRegistration[] = [], currentSchemaVersions: Record<string, number> = {}) {
    for (const [type, version] of Object.entries(currentSchemaVersions)) {
      if (!Number.isSafeInteger(version) || version < 1) {
        throw new Error(`Current schema version of '${type}' must be a positive integer, got ${String(version)}`);
      }
      this.current.set(type, version);
    }
    for (const { type, fromVersion, upcast } of registrations) {
      if (!Number.isSafeInteger(fromVersion) || fromVersion < 1) {
        throw new Error(`Upcaster for '${type}' has an invalid fromVersion ${String(fromVersion)}`);
      }
      const byVersion = this.steps.get(type) ?? new Map<number, Upcaster>();
      if (byVersion.has(fromVersion)) throw new Error(`Two upcasters registered for '${type}' v${fromVersion}`);
      const current = this.current.get(type);
      // An upcaster from the current version would rewrite freshly written
      // events into a shape nobody writes: almost certainly a config mistake.
      if (current !== undefined && fromVersion >= current) {
        throw new Error(`Upcaster for '${type}' v${fromVersion} is not below the current schema version ${current}`);
      }
      byVersion.set(fromVersion, upcast);
      this.steps.set(type, byVersion);
    }
  }

  /**
   * Version new events of `type` are written with: the configured one, else
   * one past the last registered upcaster (registering 1→2 means "v2 is
   * current"), else 1.
   */
  currentVersion(type: string): number {
    const configured = this.current.get(type);
    if (configured !== undefined) return configured;
    const steps = this.steps.get(type);
    if (!steps || steps.size === 0) return 1;
    return Math.max(...steps.keys()) + 1;
  }

  upcast(type: string, schemaVersion: number, data: unknown, metadata: Record<string, unknown>): { schemaVersion: number; data: unknown } {
    const steps = this.steps.get(type);
    if (!steps) return { schemaVersion, data };
    let version = schemaVersion;
    let current = data;
    for (let step = steps.get(version); step; step = steps.get(version)) {
      current = step(current, metadata);
      version += 1;
    }
    return { schemaVersion: version, data: current };
  }
}
