/**
 * An integer setting from the environment: the fallback when unset or empty,
 * refused loudly at start (naming the variable and its bounds) when it is not
 * an integer within them. Services read their config once, at start.
 */
export function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer between ${min} and ${max}, got '${raw}'`);
  return value;
}
