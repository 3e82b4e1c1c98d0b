import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..', '..');

export const SERVICES = {
  identity: 'services/identity/dist/main.js',
  projects: 'services/projects/dist/main.js',
  deployments: 'services/deployments/dist/main.js',
  databases: 'services/databases/dist/main.js',
  webhooks: 'services/webhooks/dist/main.js',
  gateway: 'services/gateway/dist/main.js',
} as const;
export type ServiceName = keyof typeof SERVICES;

export interface PlatformOptions {
  env: NodeJS.ProcessEnv;
  port: number;
  /** Where child output goes; default: prefixed lines on this process's stdout. */
  output?: (service: ServiceName, line: string) => void;
  services?: ServiceName[];
}

/**
 * Runs the gateway and every service as separate processes, as `npm start`
 * does and as the end-to-end tests do (so they can kill -9 one of them).
 */
export class Platform {
  private readonly children = new Map<ServiceName, ChildProcess>();
  private stopping = false;

  constructor(private readonly opts: PlatformOptions) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.opts.port}`;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    for (const name of this.opts.services ?? (Object.keys(SERVICES) as ServiceName[])) this.spawn(name);
    await this.waitHealthy(timeoutMs);
  }

  spawn(name: ServiceName): ChildProcess {
    const script = join(ROOT, SERVICES[name]);
    if (!existsSync(script)) throw new Error(`${script} is missing: build first (npx tsc -b)`);
    // SLIPWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") reaches every process, for profiling.
    const nodeArgs = (this.opts.env.SLIPWAY_NODE_ARGS ?? process.env.SLIPWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, script], {
      cwd: ROOT,
      env: { ...process.env, ...this.opts.env, PORT: String(this.opts.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = this.opts.output ?? ((service, line) => process.stdout.write(`[${service}] ${line}\n`));
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffer = '';
      stream.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          out(name, buffer.slice(0, i));
          buffer = buffer.slice(i + 1);
        }
      });
    }
    child.on('exit', (code, signal) => {
      if (this.children.get(name) === child) this.children.delete(name);
      if (!this.stopping) out(name, `exited (${signal ?? code})`);
    });
    this.children.set(name, child);
    return child;
  }

  /** Process ids of the running services (the bench reads their memory from /proc). */
  pids(): Partial<Record<ServiceName, number>> {
    const out: Partial<Record<ServiceName, number>> = {};
    for (const [name, child] of this.children) if (child.pid !== undefined) out[name] = child.pid;
    return out;
  }

  /** SIGKILL: no shutdown hooks run, exactly like a crash. */
  async kill(name: ServiceName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.children.get(name);
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }

  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        // 200 `degraded` already serves, but a platform is started only once every service answers
        // (a dependency such as Redis or the Docker engine may stay down: that is for the health to say).
        const res = await fetch(`${this.baseUrl}/api/health`);
        const text = await res.text();
        const services = Object.values((JSON.parse(text) as { services?: Record<string, { status?: string }> }).services ?? {});
        if (res.status === 200 && services.length > 0 && services.every((s) => s.status !== 'unavailable')) return;
        last = `${res.status} ${text}`;
      } catch (e) {
        last = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`platform not healthy after ${timeoutMs} ms: ${last}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const all = [...this.children.values()];
    await Promise.all(
      all.map(
        (child) =>
          new Promise<void>((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              r();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
