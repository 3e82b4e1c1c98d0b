export interface RealtimeSettings {
  /** Server ping interval; a connection that has not answered the previous ping by then is closed (4408). */
  heartbeatMs: number;
  /** Messages waiting for a slow client before the oldest are dropped (and a `lagged` message says how many). */
  maxQueued: number;
  /** The socket's own buffered bytes above which messages wait in the queue. */
  highWater: number;
  maxSubscriptions: number;
  maxConnectionsPerUser: number;
  /** SSE comment lines while nothing happens. */
  sseHeartbeatMs: number;
}

const int = (value: string | undefined, fallback: number, min: number, max: number): number => {
  const n = Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
};

export function realtimeSettings(env: NodeJS.ProcessEnv = process.env): RealtimeSettings {
  return {
    heartbeatMs: int(env.SLIPWAY_WS_HEARTBEAT_MS, 30_000, 100, 600_000),
    maxQueued: int(env.SLIPWAY_WS_MAX_QUEUED, 1000, 1, 100_000),
    highWater: int(env.SLIPWAY_WS_HIGH_WATER_BYTES, 1 << 20, 1024, 64 << 20),
    maxSubscriptions: int(env.SLIPWAY_WS_MAX_SUBSCRIPTIONS, 100, 1, 10_000),
    maxConnectionsPerUser: int(env.SLIPWAY_WS_MAX_CONNECTIONS_PER_USER, 2000, 1, 1_000_000),
    sseHeartbeatMs: int(env.SLIPWAY_SSE_HEARTBEAT_MS, 15_000, 100, 600_000),
  };
}
