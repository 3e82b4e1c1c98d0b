const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

/** Delays before retry 1, 2, …: about a day in all (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 3 h). */
export const DEFAULT_BACKOFF_MS: readonly number[] = [5 * S, 30 * S, 2 * MIN, 10 * MIN, 30 * MIN, H, 3 * H, 3 * H, 3 * H, 3 * H, 3 * H, 3 * H, 3 * H];

/** `SLIPWAY_WEBHOOK_BACKOFF_MS`: comma-separated milliseconds; unset or invalid → the default. */
export function parseBackoff(value: string | undefined): readonly number[] {
  if (!value) return DEFAULT_BACKOFF_MS;
  const delays = value.split(',').map((v) => Number(v.trim()));
  return delays.length > 0 && delays.every((d) => Number.isFinite(d) && d >= 0) ? delays : DEFAULT_BACKOFF_MS;
}

/**
 * The delay after failed attempt `attempt` (1-based), with ±20 % jitter so
 * endpoints that failed together do not retry together; undefined when the
 * schedule is spent (the delivery has failed for good).
 */
export function retryDelayMs(schedule: readonly number[], attempt: number, random: () => number = Math.random): number | undefined {
  const base = schedule[attempt - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (0.8 + 0.4 * random()));
}
