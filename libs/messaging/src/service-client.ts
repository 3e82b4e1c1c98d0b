import CircuitBreaker from 'opossum';
import { AppError } from '@slipway/core';
import type { MessageBus, RequestOptions } from './bus';
import { defineRequest, type RequestContract, type RequestOf, type ResponseOf } from './contract';
import { isTransportFailure } from './transport-errors';

/** Every service answers `<service>.query.health` (service-host's `serveHealth`). */
export const healthContract = (service: string): RequestContract<Record<string, never>, unknown> =>
  defineRequest<Record<string, never>, unknown>(service, `${service}.query.health`);

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface ServiceClientOptions {
  service: string;
  /** Per-request timeout passed to the bus (default: the bus default, 5000 ms). */
  timeoutMs?: number;
  /** How long the circuit stays open before a single probe is let through. Default 2000. */
  resetTimeoutMs?: number;
  /** Minimum requests in the rolling window before the error rate is considered. Default 5. */
  volumeThreshold?: number;
  /** Failure percentage (transport failures only) that opens the circuit. Default 50. */
  errorThresholdPercentage?: number;
  /** Rolling statistics window. Default 10000 ms. */
  rollingCountTimeoutMs?: number;
  /**
   * While the circuit is open, this request is sent every `probeIntervalMs`
   * and the first answer closes it, so service resumes as soon as the
   * service is back rather than at the next client request after the reset
   * timeout. Default the service's health request; null turns probing off.
   */
  probe?: RequestContract<any, any> | null;
  /** Default 250 ms. */
  probeIntervalMs?: number;
  /** Observability hook (metrics/logs); framework-free on purpose. */
  onStateChange?: (service: string, state: BreakerState) => void;
}

type Call = (contract: RequestContract<any, any>, payload: unknown, opts: RequestOptions) => Promise<unknown>;

interface OpossumError extends Error {
  code?: string;
}

/**
 * One circuit breaker per downstream service. When a service is down every
 * request would otherwise wait for "no responders" or, worse, the full
 * timeout; an open circuit answers 503 at once and probes for recovery itself.
 */
export class ServiceClient {
  readonly service: string;
  private readonly breaker: CircuitBreaker<Parameters<Call>, unknown>;
  private readonly resetTimeoutMs: number;
  private readonly timeoutMs?: number;
  private openedAt = 0;
  /** Failures of requests sent before the circuit last closed say nothing about the service now. */
  private closedAt = 0;
  private readonly stale = new WeakSet<object>();
  private readonly probe: RequestContract<any, any> | null;
  private readonly probeIntervalMs: number;
  private probeTimer?: NodeJS.Timeout;
  private probing = false;
  private readonly unwatchBus: () => void;

  constructor(
    private readonly bus: MessageBus,
    opts: ServiceClientOptions,
  ) {
    this.service = opts.service;
    this.timeoutMs = opts.timeoutMs;
    this.resetTimeoutMs = opts.resetTimeoutMs ?? 2000;
    this.probe = opts.probe === undefined ? healthContract(opts.service) : opts.probe;
    this.probeIntervalMs = opts.probeIntervalMs ?? 250;
    const call: Call = async (contract, payload, o) => {
      const sentAt = Date.now();
      try {
        return await this.bus.request(contract, payload as never, o);
      } catch (err) {
        if (sentAt < this.closedAt && typeof err === 'object' && err !== null) this.stale.add(err);
        throw err;
      }
    };
    this.breaker = new CircuitBreaker(call, {
      name: `service:${opts.service}`,
      // The bus already enforces the request timeout and maps it to GATEWAY_TIMEOUT;
      // a second opossum timer would race it and produce a different error.
      timeout: false,
      resetTimeout: this.resetTimeoutMs,
      volumeThreshold: opts.volumeThreshold ?? 5,
      errorThresholdPercentage: opts.errorThresholdPercentage ?? 50,
      rollingCountTimeout: opts.rollingCountTimeoutMs ?? 10_000,
      // A domain error is a healthy service saying no: it must not trip the
      // breaker (and, in half-open, it proves the service is back).
      // A lost NATS connection is not the service's fault (the bus answers
      // 503 for it at once), and a timeout of a request sent before the
      // circuit closed must not reopen it.
      errorFilter: (err: unknown) => !isTransportFailure(err) || err.busDown || this.stale.has(err),
    });
    this.breaker.on('open', () => {
      this.openedAt = Date.now();
      this.startProbing();
      opts.onStateChange?.(this.service, 'open');
    });
    this.breaker.on('halfOpen', () => opts.onStateChange?.(this.service, 'half-open'));
    this.breaker.on('close', () => {
      this.closedAt = Date.now();
      this.stopProbing();
      opts.onStateChange?.(this.service, 'closed');
    });
    // Failures while NATS was gone were the bus's: start afresh when it is back.
    this.unwatchBus = bus.onConnectionChange((connected) => {
      if (connected && !this.breaker.closed) this.breaker.close();
    });
  }

  get state(): BreakerState {
    if (this.breaker.halfOpen) return 'half-open';
    if (this.breaker.opened) return 'open';
    return 'closed';
  }

  /** False only while the circuit is open (half-open lets a probe through). */
  healthy(): boolean {
    return this.state !== 'open';
  }

  get stats(): CircuitBreaker.Stats {
    return this.breaker.stats;
  }

  async request<C extends RequestContract<any, any>>(
    contract: C,
    payload: RequestOf<C>,
    opts: RequestOptions = {},
  ): Promise<ResponseOf<C>> {
    if (contract.service !== this.service) {
      // A contract routed through another service's breaker would corrupt both health pictures.
      throw new Error(`Contract ${contract.subject} belongs to ${contract.service}, not ${this.service}`);
    }
    try {
      return (await this.breaker.fire(contract, payload, {
        ...opts,
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      })) as ResponseOf<C>;
    } catch (err) {
      const code = (err as OpossumError | undefined)?.code;
      if (code === 'EOPENBREAKER' || code === 'ESEMLOCKED') throw this.openError();
      throw err;
    }
  }

  /** Stops opossum's rolling-window timers and the probe. */
  close(): void {
    this.stopProbing();
    this.unwatchBus();
    this.breaker.shutdown();
  }

  private startProbing(): void {
    if (!this.probe || this.probeTimer) return;
    const probe = this.probe;
    this.probeTimer = setInterval(() => {
      if (this.probing || !this.bus.connected) return;
      this.probing = true;
      this.bus
        .request(probe, {} as never, { timeoutMs: Math.max(this.probeIntervalMs * 4, 1000) })
        .then(
          () => true,
          // Any answer, even an error, proves the service is there.
          (err: unknown) => !isTransportFailure(err),
        )
        .then((answered) => {
          if (answered && !this.breaker.closed) this.breaker.close();
        })
        .finally(() => {
          this.probing = false;
        });
    }, this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private stopProbing(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private openError(): AppError {
    const remainingMs = this.openedAt ? this.resetTimeoutMs - (Date.now() - this.openedAt) : this.resetTimeoutMs;
    const retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
    return new AppError(
      'SERVICE_UNAVAILABLE',
      `The ${this.service} service is unavailable (circuit open); retry in a few seconds`,
      { service: this.service, retryAfterSeconds },
    );
  }
}

/** One ServiceClient per downstream service, created on first use. */
export class Breakers {
  private readonly clients = new Map<string, ServiceClient>();

  constructor(
    private readonly bus: MessageBus,
    private readonly defaults: Omit<ServiceClientOptions, 'service'> = {},
    private readonly perService: Record<string, Omit<ServiceClientOptions, 'service'>> = {},
  ) {}

  get(service: string): ServiceClient {
    let client = this.clients.get(service);
    if (!client) {
      client = new ServiceClient(this.bus, { ...this.defaults, ...this.perService[service], service });
      this.clients.set(service, client);
    }
    return client;
  }

  /** Routes by `contract.service`. */
  request<C extends RequestContract<any, any>>(contract: C, payload: RequestOf<C>, opts?: RequestOptions): Promise<ResponseOf<C>> {
    return this.get(contract.service).request(contract, payload, opts);
  }

  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.clients].map(([name, c]) => [name, c.state]));
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}
