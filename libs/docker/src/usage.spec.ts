import { usageFromStats } from './usage';

describe('usageFromStats', () => {
  it('computes CPU cores, memory without the inactive page cache (cgroup v1) and summed network bytes', () => {
    const usage = usageFromStats({
      cpu_stats: { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 18_000_000_000 },
      memory_stats: { usage: 300 * 1024 * 1024, stats: { cache: 150 * 1024 * 1024, total_inactive_file: 100 * 1024 * 1024 } },
      networks: { eth0: { rx_bytes: 1000, tx_bytes: 10 }, eth1: { rx_bytes: 24, tx_bytes: 5 } },
    });
    expect(usage.cpu).toBeCloseTo(0.5);
    expect(usage.memoryMb).toBeCloseTo(200);
    expect(usage).toMatchObject({ rxBytes: 1024, txBytes: 15 });
  });

  it('counts tmpfs and shared memory (in cgroup v1 cache, never inactive) as used', () => {
    // 50 MiB written to /dev/shm, as the engine reports it on cgroup v1.
    const usage = usageFromStats({ memory_stats: { usage: 52_883_456, stats: { cache: 52_428_800, total_inactive_file: 0, inactive_file: 0 } } });
    expect(usage.memoryMb).toBeCloseTo(50.43, 1);
  });

  it('uses inactive_file on cgroup v2 and reports zero CPU without a previous sample', () => {
    const usage = usageFromStats({
      cpu_stats: { cpu_usage: { total_usage: 5 }, system_cpu_usage: 10, online_cpus: 4 },
      precpu_stats: {},
      memory_stats: { usage: 64 * 1024 * 1024, stats: { inactive_file: 32 * 1024 * 1024 } },
    });
    expect(usage.cpu).toBe(0);
    expect(usage.memoryMb).toBeCloseTo(32);
    expect(usageFromStats(undefined)).toEqual({ cpu: 0, memoryMb: 0, rxBytes: 0, txBytes: 0 });
  });
});
