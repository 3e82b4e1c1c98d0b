import { readFile, statfs } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';

/** The contract's `system` block of GET /api/metrics: CPU busy share (0–1), MiB of memory and disk in use, bytes received/sent. */
export interface HostFigures {
  cpu: number;
  memory: number;
  disk: number;
  network: { rx: number; tx: number };
}

const MIB = 1024 * 1024;
let previous: { idle: number; total: number } | undefined;

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
  }
  return { idle, total };
}

/** Busy share since the previous call (since boot on the first). */
function cpuBusy(): number {
  const now = cpuTimes();
  const base = previous ?? { idle: 0, total: 0 };
  previous = now;
  const total = now.total - base.total;
  return total > 0 ? Math.min(1, Math.max(0, 1 - (now.idle - base.idle) / total)) : 0;
}

/** MemTotal − MemAvailable (the page cache is not "used"); os.freemem() where /proc is absent. */
async function memoryUsedMb(): Promise<number> {
  const info = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  if (Number.isFinite(total) && Number.isFinite(available)) return (total - available) / 1024;
  return (totalmem() - freemem()) / MIB;
}

async function diskUsedMb(path: string): Promise<number> {
  const s = await statfs(path).catch(() => statfs('/'));
  return ((s.blocks - s.bfree) * s.bsize) / MIB;
}

/** Bytes over every interface but loopback, from /proc/net/dev. */
async function network(): Promise<{ rx: number; tx: number }> {
  const text = await readFile('/proc/net/dev', 'utf8').catch(() => '');
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || name.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

/**
 * The host this process runs on — the Docker host when the engine is reached
 * through its local socket, as in every supported installation. `rootDir` is
 * the engine's DockerRootDir: the disk figure is that filesystem's.
 */
export async function readHostFigures(rootDir = '/var/lib/docker'): Promise<HostFigures> {
  const [memory, disk, net] = await Promise.all([memoryUsedMb(), diskUsedMb(rootDir), network()]);
  return { cpu: Math.round(cpuBusy() * 1000) / 1000, memory: Math.round(memory), disk: Math.round(disk), network: net };
}
