/** What one container uses right now, from one `GET /containers/{id}/stats?stream=false` answer. */
export interface ContainerUsage {
  /** CPU in cores (1.0 = one core fully busy). */
  cpu: number;
  /** Resident memory without the page cache, in MiB. */
  memoryMb: number;
  /** Cumulative bytes received / sent on all interfaces since the container started. */
  rxBytes: number;
  txBytes: number;
}

interface RawStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

/**
 * The same arithmetic as `docker stats`: CPU is the container's share of the
 * host's CPU time between the two samples the engine takes, times the number
 * of CPUs; memory leaves out the reclaimable page cache: `total_inactive_file`
 * on cgroup v1, `inactive_file` on v2 (the docker CLI's rule). Not v1's whole
 * `cache`: it includes tmpfs and shared memory, which a container really holds
 * (an application filling /dev/shm would otherwise show no memory at all).
 */
export function usageFromStats(raw: unknown): ContainerUsage {
  const s = (raw ?? {}) as RawStats;
  const total = s.cpu_stats?.cpu_usage?.total_usage ?? 0;
  const preTotal = s.precpu_stats?.cpu_usage?.total_usage ?? 0;
  const system = s.cpu_stats?.system_cpu_usage ?? 0;
  const preSystem = s.precpu_stats?.system_cpu_usage ?? 0;
  const cpus = s.cpu_stats?.online_cpus ?? s.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 1;
  const cpuDelta = total - preTotal;
  const systemDelta = system - preSystem;
  // Without a previous sample (first read of a fresh container) there is no interval to measure.
  const cpu = preSystem > 0 && cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus : 0;

  const usage = s.memory_stats?.usage ?? 0;
  const stats = s.memory_stats?.stats ?? {};
  const inactive = 'total_inactive_file' in stats ? stats.total_inactive_file : (stats.inactive_file ?? 0);
  const memoryMb = Math.max(0, usage - (inactive < usage ? inactive : 0)) / (1024 * 1024);

  let rxBytes = 0;
  let txBytes = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rxBytes += n.rx_bytes ?? 0;
    txBytes += n.tx_bytes ?? 0;
  }
  return { cpu, memoryMb, rxBytes, txBytes };
}
