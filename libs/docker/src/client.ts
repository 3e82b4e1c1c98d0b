import { readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import Dockerode from 'dockerode';
import CircuitBreaker from 'opossum';
import { engineMessage, engineStatus, engineUnavailable, isEngineUnreachable } from './errors';
import { FrameDemuxer, JsonLinesParser, LineSplitter, demuxDockerStream } from './streams';
import { usageFromStats, type ContainerUsage } from './usage';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** The engine's service and container spec shapes, so callers need not import dockerode. */
export type ServiceSpec = Dockerode.ServiceSpec;
export type ContainerSpec = Dockerode.ContainerSpec;

export interface DockerClientOptions {
  /** DOCKER_HOST syntax: `unix:///var/run/docker.sock` (default), `tcp://host:2375`. */
  host?: string;
  /** Bound on every short engine call (inspect, create, update, ...). Default 15 s. */
  timeoutMs?: number;
  /** How long the circuit stays open before one probe goes through. Default 2 s. */
  resetTimeoutMs?: number;
  /** Calls in the rolling window before the failure rate counts. Default 2. */
  volumeThreshold?: number;
  onStateChange?: (state: BreakerState) => void;
}

export interface DockerEndpoint {
  /** For messages: the socket path or the tcp address. */
  display: string;
  options: Dockerode.DockerOptions;
}

export function parseDockerHost(host: string | undefined): DockerEndpoint {
  const value = (host ?? '').trim();
  if (!value || value.startsWith('unix://') || value.startsWith('/')) {
    const socketPath = value.startsWith('unix://') ? value.slice('unix://'.length) : value || '/var/run/docker.sock';
    return { display: socketPath, options: { socketPath } };
  }
  const m = /^(tcp|http|https):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(value);
  if (!m) throw new Error(`DOCKER_HOST '${value}' is not supported; use unix:///path/to/docker.sock or tcp://host:port`);
  const protocol = m[1] === 'https' ? 'https' : 'http';
  return { display: value, options: { host: m[2], port: Number(m[3] ?? (protocol === 'https' ? 2376 : 2375)), protocol } };
}

/** Minimal shapes of the engine's answers that Slipway reads. */
export interface ServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: Dockerode.ServiceSpec & { Labels?: Record<string, string> };
  PreviousSpec?: Dockerode.ServiceSpec;
  Endpoint?: { Ports?: Array<{ Protocol?: string; TargetPort?: number; PublishedPort?: number; PublishMode?: string }> };
  UpdateStatus?: { State?: string; Message?: string };
  CreatedAt?: string;
  UpdatedAt?: string;
}

export interface TaskInfo {
  ID: string;
  ServiceID: string;
  Slot?: number;
  DesiredState: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: { ContainerSpec?: { Image?: string; Labels?: Record<string, string> } };
  Status: {
    Timestamp?: string;
    State: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: Array<{ Protocol?: string; TargetPort?: number; PublishedPort?: number; PublishMode?: string }> };
  };
}

export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano?: number;
}

export interface BuildOptions {
  /** Directory sent as the build context. */
  context: string;
  /** Path of the Dockerfile inside the context. */
  dockerfile: string;
  tag: string;
  labels?: Record<string, string>;
  noCache?: boolean;
  /** Every line of build output, as it arrives. */
  onLine: (line: string, level: 'info' | 'error') => void;
  signal?: AbortSignal;
}

/** The build ran and the Dockerfile failed: the engine's error, for the deployment's reason. */
export class BuildFailedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'BuildFailedError';
  }
}

export interface LogLine {
  timestamp: string;
  stream: 'stdout' | 'stderr';
  message: string;
  /** Swarm task id the line came from, when the engine says. */
  taskId?: string;
}

export interface EventWatch {
  stop(): void;
}

interface OpossumError extends Error {
  code?: string;
}

/**
 * The platform's only door to the Docker engine: dockerode behind an opossum
 * circuit breaker. When nothing answers at the engine's address, calls fail
 * with SERVICE_UNAVAILABLE naming the address, and after a few such failures
 * they fail at once without touching the socket until a probe succeeds.
 * Engine answers (404, 409, 500 ...) are not failures of the engine and pass
 * through untouched, so they never open the circuit.
 */
export class DockerClient {
  readonly endpoint: string;
  private readonly docker: Dockerode;
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private readonly timeoutMs: number;
  private readonly resetTimeoutMs: number;
  private openedAt = 0;

  constructor(opts: DockerClientOptions = {}) {
    const endpoint = parseDockerHost(opts.host);
    this.endpoint = endpoint.display;
    this.docker = new Dockerode(endpoint.options);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.resetTimeoutMs = opts.resetTimeoutMs ?? 2000;
    this.breaker = new CircuitBreaker((fn: () => Promise<unknown>) => fn(), {
      name: 'docker-engine',
      // Each call brings its own bound (short calls vs. context uploads).
      timeout: false,
      resetTimeout: this.resetTimeoutMs,
      volumeThreshold: opts.volumeThreshold ?? 2,
      errorThresholdPercentage: 50,
      rollingCountTimeout: 10_000,
      errorFilter: (err: unknown) => !isEngineUnreachable(err),
    });
    this.breaker.on('open', () => {
      this.openedAt = Date.now();
      opts.onStateChange?.('open');
    });
    this.breaker.on('halfOpen', () => opts.onStateChange?.('half-open'));
    this.breaker.on('close', () => opts.onStateChange?.('closed'));
  }

  get state(): BreakerState {
    if (this.breaker.halfOpen) return 'half-open';
    if (this.breaker.opened) return 'open';
    return 'closed';
  }

  /** Stops opossum's timers (tests, shutdown). */
  close(): void {
    this.breaker.shutdown();
  }

  /**
   * Runs one engine call through the breaker with a time bound. Unreachable
   * engine (or open circuit) → AppError SERVICE_UNAVAILABLE; engine answers
   * are rethrown as dockerode raised them (statusCode, json).
   */
  async call<T>(what: string, fn: (docker: Dockerode, signal: AbortSignal) => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    try {
      return (await this.breaker.fire(() => bounded(what, timeoutMs, (signal) => fn(this.docker, signal)))) as T;
    } catch (err) {
      const code = (err as OpossumError | undefined)?.code;
      if (code === 'EOPENBREAKER' || code === 'ESEMLOCKED') throw engineUnavailable(this.endpoint, err, this.retryAfterSeconds());
      if (isEngineUnreachable(err)) throw engineUnavailable(this.endpoint, err, this.retryAfterSeconds());
      throw err;
    }
  }

  /** Resolves when the engine answers; SERVICE_UNAVAILABLE otherwise. */
  async ping(timeoutMs = 3000): Promise<void> {
    await this.call('ping', (d, abortSignal) => (d.ping as (opts: object) => Promise<unknown>)({ abortSignal }), timeoutMs);
  }

  /** True when the engine answers (never throws). */
  async reachable(timeoutMs = 3000): Promise<boolean> {
    try {
      await this.ping(timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /** `active` and a manager, or why not. */
  async swarm(): Promise<{ active: boolean; manager: boolean; state: string }> {
    const info: any = await this.call('info', (d) => d.info());
    const state = String(info?.Swarm?.LocalNodeState ?? 'inactive');
    return { active: state === 'active', manager: Boolean(info?.Swarm?.ControlAvailable), state };
  }

  /** The engine's data directory (DockerRootDir): the host disk figure is that filesystem's. */
  async rootDir(): Promise<string> {
    const info: any = await this.call('info', (d) => d.info());
    return String(info?.DockerRootDir ?? '/var/lib/docker');
  }

  // ------------------------------------------------------------ services

  async inspectService(idOrName: string): Promise<ServiceInfo | undefined> {
    try {
      return (await this.call('inspect service', (d) => d.getService(idOrName).inspect())) as ServiceInfo;
    } catch (err) {
      if (engineStatus(err) === 404) return undefined;
      throw err;
    }
  }

  async createService(spec: ServiceSpec): Promise<string> {
    const created: any = await this.call('create service', (d) => d.createService(spec as Dockerode.CreateServiceOptions));
    return String(created.id ?? created.ID);
  }

  /** Replaces the spec at `version` (the engine refuses a stale version with an error, never a lost update). */
  async updateService(id: string, version: number, spec: ServiceSpec): Promise<void> {
    await this.call('update service', (d) => d.getService(id).update({ _query: { version }, _body: spec } as any));
  }

  /** False when there was nothing to remove. */
  async removeService(idOrName: string): Promise<boolean> {
    try {
      await this.call('remove service', (d) => d.getService(idOrName).remove());
      return true;
    } catch (err) {
      if (engineStatus(err) === 404) return false;
      throw err;
    }
  }

  async listServices(labels: string[]): Promise<ServiceInfo[]> {
    return (await this.call('list services', (d) => d.listServices({ filters: { label: labels } } as unknown as Dockerode.ServiceListOptions))) as ServiceInfo[];
  }

  async listTasks(filters: { service?: string[]; label?: string[]; 'desired-state'?: string[] }): Promise<TaskInfo[]> {
    return (await this.call('list tasks', (d) => d.listTasks({ filters }))) as TaskInfo[];
  }

  async serviceLogs(idOrName: string, opts: { tail?: number; since?: number } = {}): Promise<LogLine[]> {
    const raw: unknown = await this.call('service logs', (d) =>
      (d.getService(idOrName).logs as (o: object) => Promise<unknown>)({
        stdout: true,
        stderr: true,
        timestamps: true,
        details: true,
        follow: false,
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
      }),
    );
    const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw ?? ''), 'utf8');
    const lines: LogLine[] = [];
    for (const chunk of demuxDockerStream(buffer)) {
      for (const line of chunk.text.split('\n')) {
        if (line.trim()) lines.push(parseServiceLogLine(line, chunk.stream));
      }
    }
    return lines;
  }

  /**
   * Follows a service's output (the engine's logs with follow=true), calling
   * `onLine` for every complete line, until `signal` aborts or the engine ends
   * the stream (the service was removed). Resolves then; the body is destroyed.
   */
  async followServiceLogs(idOrName: string, opts: { tail?: number; since?: number }, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const stream = (await this.call('follow service logs', (d) =>
      (d.getService(idOrName).logs as (o: object) => Promise<unknown>)({
        stdout: true,
        stderr: true,
        timestamps: true,
        details: true,
        follow: true,
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
      }),
    )) as NodeJS.ReadableStream & { destroy?: () => void };
    const demux = new FrameDemuxer();
    const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    await new Promise<void>((resolve) => {
      const end = () => {
        signal.removeEventListener('abort', end);
        stream.destroy?.();
        resolve();
      };
      signal.addEventListener('abort', end, { once: true });
      if (signal.aborted) return end();
      stream.on('data', (chunk: Buffer) => {
        for (const frame of demux.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))) {
          for (const line of splitters[frame.stream].push(frame.text)) if (line.trim()) onLine(parseServiceLogLine(line, frame.stream));
        }
      });
      stream.on('end', end);
      stream.on('close', end);
      stream.on('error', end);
    });
  }

  // ------------------------------------------------------------ images

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.call('inspect image', (d) => d.getImage(ref).inspect());
      return true;
    } catch (err) {
      if (engineStatus(err) === 404) return false;
      throw err;
    }
  }

  /** Best effort: an image still used by a container stays (409) and that is fine. */
  async removeImage(ref: string): Promise<boolean> {
    try {
      await this.call('remove image', (d) => d.getImage(ref).remove({ noprune: false }));
      return true;
    } catch (err) {
      const status = engineStatus(err);
      if (status === 404 || status === 409) return false;
      throw err;
    }
  }

  async listImages(labels: string[]): Promise<Array<{ Id: string; RepoTags?: string[]; Labels?: Record<string, string> }>> {
    return (await this.call('list images', (d) => d.listImages({ filters: { label: labels } } as unknown as Dockerode.ListImagesOptions))) as any;
  }

  /**
   * Builds an image from a directory, calling `onLine` with every line of
   * output as the engine streams it. Resolves with the image id; rejects
   * with BuildFailedError when the Dockerfile fails, SERVICE_UNAVAILABLE
   * when the engine goes away, or an AbortError when `signal` fires.
   */
  async build(opts: BuildOptions): Promise<{ imageId: string }> {
    const src = await listContextFiles(opts.context);
    const dockerfile = posix.normalize(opts.dockerfile.replace(/\\/g, '/')).replace(/^\.\//, '');
    const stream = (await this.call(
      'build',
      (d) =>
        (d.buildImage as (file: object, o: object) => Promise<unknown>)({ context: opts.context, src }, {
          t: opts.tag,
          dockerfile,
          nocache: Boolean(opts.noCache),
          rm: true,
          forcerm: true,
          ...(opts.labels ? { labels: opts.labels } : {}),
          ...(opts.signal ? { abortSignal: opts.signal } : {}),
        }),
      // Uploading the context is part of starting the build.
      120_000,
    )) as NodeJS.ReadableStream & { destroy?: (e?: Error) => void };

    return new Promise((resolve, reject) => {
      const parser = new JsonLinesParser<{
        stream?: string;
        status?: string;
        progress?: string;
        id?: string;
        error?: string;
        errorDetail?: { message?: string };
        aux?: { ID?: string };
      }>();
      const lines = new LineSplitter();
      let imageId: string | undefined;
      let failure: string | undefined;
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const handle = (msg: any) => {
        if ('raw' in msg && typeof msg.raw === 'string') return opts.onLine(msg.raw, 'info');
        if (typeof msg.stream === 'string') for (const line of lines.push(msg.stream)) opts.onLine(line, 'info');
        if (typeof msg.status === 'string' && !msg.progress) opts.onLine(`${msg.id ? `${msg.id}: ` : ''}${msg.status}`, 'info');
        if (msg.aux?.ID) imageId = String(msg.aux.ID);
        if (msg.error || msg.errorDetail) {
          failure = String(msg.errorDetail?.message ?? msg.error).trim();
          for (const line of lines.flush()) opts.onLine(line, 'info');
          opts.onLine(failure, 'error');
        }
      };
      const onAbort = () => {
        stream.destroy?.();
        const err = new Error('The build was cancelled');
        err.name = 'AbortError';
        finish(() => reject(err));
      };
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      stream.on('data', (chunk: Buffer | string) => {
        for (const msg of parser.push(chunk.toString())) handle(msg);
      });
      stream.on('end', () => {
        for (const msg of parser.flush()) handle(msg);
        for (const line of lines.flush()) opts.onLine(line, 'info');
        if (failure) return finish(() => reject(new BuildFailedError(failure!)));
        if (imageId) return finish(() => resolve({ imageId: imageId! }));
        // Older engines only print "Successfully built"; an engine that died mid-stream prints nothing.
        this.call('inspect image', (d) => d.getImage(opts.tag).inspect())
          .then((info: any) => finish(() => resolve({ imageId: String(info.Id) })))
          .catch((err: unknown) => finish(() => reject(isEngineUnreachable(err) ? err : new BuildFailedError('The build ended without producing an image'))));
      });
      stream.on('error', (err: unknown) => {
        if (opts.signal?.aborted) return onAbort();
        // The connection broke: either the engine is gone or it reset us; ping to tell which.
        this.reachable(2000).then((up) =>
          finish(() => reject(up ? new BuildFailedError(`The build stream broke: ${engineMessage(err)}`) : engineUnavailable(this.endpoint, err))),
        );
      });
    });
  }

  // ------------------------------------------------------------ volumes, containers

  async listVolumes(labels: string[]): Promise<Array<{ Name: string; Labels?: Record<string, string> | null }>> {
    const answer: any = await this.call('list volumes', (d) => d.listVolumes({ filters: { label: labels } } as unknown as Dockerode.VolumeListOptions));
    return answer?.Volumes ?? [];
  }

  /** 'removed', 'absent', or 'in-use' (a container still mounts it: try again later). */
  async removeVolume(name: string): Promise<'removed' | 'absent' | 'in-use'> {
    try {
      await this.call('remove volume', (d) => d.getVolume(name).remove());
      return 'removed';
    } catch (err) {
      const status = engineStatus(err);
      if (status === 404) return 'absent';
      if (status === 409) return 'in-use';
      throw err;
    }
  }

  async removeContainer(id: string): Promise<boolean> {
    try {
      await this.call('remove container', (d) => d.getContainer(id).remove({ force: true }));
      return true;
    } catch (err) {
      if (engineStatus(err) === 404) return false;
      throw err;
    }
  }

  /** Undefined when the container is gone. Takes about a second: the engine samples twice. */
  async containerUsage(id: string): Promise<ContainerUsage | undefined> {
    try {
      const raw = await this.call('container stats', (d) => d.getContainer(id).stats({ stream: false }));
      return usageFromStats(raw);
    } catch (err) {
      if (engineStatus(err) === 404 || engineStatus(err) === 409) return undefined;
      throw err;
    }
  }

  // ------------------------------------------------------------ events

  /**
   * Follows the engine's event stream (filtered), reconnecting with backoff
   * when it breaks. `onConnected` runs after every (re)connection: events
   * missed while disconnected are lost, so callers resynchronise there.
   */
  watchEvents(
    filters: Record<string, string[]>,
    onEvent: (event: DockerEvent) => void,
    hooks: { onConnected?: () => void; onError?: (err: unknown) => void } = {},
  ): EventWatch {
    let stopped = false;
    let current: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let backoffMs = 500;
    const loop = async () => {
      while (!stopped) {
        try {
          const stream = (await this.call('events', (d) => d.getEvents({ filters } as unknown as Dockerode.GetEventsOptions), 10_000)) as NodeJS.ReadableStream & {
            destroy?: () => void;
          };
          current = stream;
          backoffMs = 500;
          hooks.onConnected?.();
          await new Promise<void>((resolve) => {
            const parser = new JsonLinesParser<DockerEvent>();
            stream.on('data', (chunk: Buffer | string) => {
              for (const msg of parser.push(chunk.toString())) {
                if (!('raw' in msg)) {
                  try {
                    onEvent(msg as DockerEvent);
                  } catch (err) {
                    hooks.onError?.(err);
                  }
                }
              }
            });
            stream.once('end', () => resolve());
            stream.once('close', () => resolve());
            stream.once('error', (err: unknown) => {
              if (!stopped) hooks.onError?.(err);
              resolve();
            });
          });
        } catch (err) {
          if (!stopped) hooks.onError?.(err);
        }
        current = undefined;
        if (stopped) return;
        await new Promise<void>((r) => {
          timer = setTimeout(r, backoffMs);
          timer.unref();
        });
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    };
    void loop();
    return {
      stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        current?.destroy?.();
      },
    };
  }

  private retryAfterSeconds(): number {
    if (!this.openedAt || this.state !== 'open') return Math.ceil(this.resetTimeoutMs / 1000);
    return Math.max(1, Math.ceil((this.resetTimeoutMs - (Date.now() - this.openedAt)) / 1000));
  }
}

/** Rejects with ENGINE_TIMEOUT after `ms` and aborts the request, so a hung engine costs a bounded wait. */
async function bounded<T>(what: string, ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = Object.assign(new Error(`The Docker engine did not answer '${what}' within ${ms} ms`), { code: 'ENGINE_TIMEOUT' });
      controller.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every file of the build context, relative and POSIX-style; `.git` never travels to the engine. */
async function listContextFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (rel === '' && entry.name === '.git') continue;
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(join(dir, entry.name), relPath);
      else out.push(relPath);
    }
  };
  await walk(root, '');
  return out;
}

/** `2026-01-01T00:00:00.000000000Z com.docker.swarm.task.id=abc,... message` → parts. */
export function parseServiceLogLine(line: string, stream: 'stdout' | 'stderr'): LogLine {
  let rest = line;
  let timestamp = '';
  const ts = /^(\d{4}-\d{2}-\d{2}T\S+)\s?/.exec(rest);
  if (ts) {
    timestamp = ts[1];
    rest = rest.slice(ts[0].length);
  }
  let taskId: string | undefined;
  const details = /^((?:com\.docker\.[\w.]+=[^,\s]*,?)+)\s?/.exec(rest);
  if (details) {
    taskId = /com\.docker\.swarm\.task\.id=([^,\s]+)/.exec(details[1])?.[1];
    rest = rest.slice(details[0].length);
  }
  const parsed = timestamp ? new Date(timestamp) : undefined;
  return {
    timestamp: parsed && !Number.isNaN(parsed.getTime()) ? parsed.toISOString() : timestamp,
    stream,
    message: rest,
    ...(taskId ? { taskId } : {}),
  };
}
