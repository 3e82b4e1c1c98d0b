import { natsRequestSeconds } from '@slipway/metrics';
import { AppError, isErrorCode, type ErrorShape } from '@slipway/core';
import { connect, headers as natsHeaders, Match } from '@nats-io/transport-node';
import type { Msg, MsgHdrs, NatsConnection, NodeConnectionOptions, Subscription } from '@nats-io/transport-node';
import type { RequestContextHeaders, RequestContract, RequestOf, ResponseOf } from './contract';
import { currentInstance, requestSubject } from './instance';
import { busUnavailable, mapNatsRequestError } from './transport-errors';

/** What travels back on every reply. Errors are data, never a NATS-level failure. */
export type ReplyEnvelope<T = unknown> = { ok: true; data: T } | { ok: false; error: ErrorShape };

export interface RequestOptions {
  /** Default 5000. */
  timeoutMs?: number;
  headers?: RequestContextHeaders;
}

export interface HandlerContext {
  headers: RequestContextHeaders;
  /** The contract's (logical) subject. */
  subject: string;
}

export type RequestHandler<C> = (payload: RequestOf<C>, ctx: HandlerContext) => Promise<ResponseOf<C>>;

export interface ServeOptions {
  /** Queue group; defaults to `<instance>-<service>` so replicas share the load. */
  queue?: string;
}

/** Handle on one `serve()` subscription. */
export interface Served {
  readonly subject: string;
  readonly queue: string;
  /** Stops receiving, lets in-flight handlers finish and reply. */
  stop(): Promise<void>;
}

export type BusErrorHook = (err: unknown, subject: string) => void;

export interface MessageBusOptions {
  /** Called with unexpected handler errors (the caller only sees a generic 500). Defaults to console.error. */
  onError?: BusErrorHook;
  /** Default request timeout; 5000 ms. */
  defaultTimeoutMs?: number;
  /** Put in front of every request subject; default this process's instance (`SLIPWAY_INSTANCE`). */
  instance?: string;
  /**
   * Turns a handler's unexpected error into one the caller may see (e.g. a
   * lost database connection → SERVICE_UNAVAILABLE naming the database).
   * Undefined keeps the generic 500.
   */
  mapError?: (err: unknown) => AppError | undefined;
}

export interface ConnectOptions extends MessageBusOptions {
  servers?: string | string[];
  /** Shows up in `nats server report connections`; use the service name. */
  name: string;
  /** Escape hatch for anything else nats.js accepts (auth, TLS, ...). */
  connection?: Partial<NodeConnectionOptions>;
}

export const HEADER_NAMES = {
  requestId: 'x-request-id',
  actorId: 'x-actor-id',
  actorType: 'x-actor-type',
  keyId: 'x-key-id',
  clientIp: 'x-client-ip',
  commandId: 'x-command-id',
  requestHash: 'x-request-hash',
} as const satisfies Record<keyof Required<RequestContextHeaders>, string>;

const DEFAULT_TIMEOUT_MS = 5000;
const GENERIC_INTERNAL_MESSAGE = 'An unexpected error occurred while processing the request';

export function toNatsHeaders(ctx: RequestContextHeaders | undefined): MsgHdrs | undefined {
  if (!ctx) return undefined;
  let h: MsgHdrs | undefined;
  for (const key of Object.keys(HEADER_NAMES) as (keyof RequestContextHeaders)[]) {
    const value = ctx[key];
    if (value === undefined || value === null || value === '') continue;
    h ??= natsHeaders();
    h.set(HEADER_NAMES[key], String(value));
  }
  return h;
}

export function fromNatsHeaders(h: MsgHdrs | undefined): RequestContextHeaders {
  const out: RequestContextHeaders = {};
  if (!h) return out;
  for (const key of Object.keys(HEADER_NAMES) as (keyof RequestContextHeaders)[]) {
    // Other clients may send canonical MIME case (X-Request-Id); get() returns '' when absent.
    const value = h.get(HEADER_NAMES[key], Match.IgnoreCase);
    if (value) out[key] = value;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value === undefined ? null : value));
}

function isEnvelope(v: unknown): v is ReplyEnvelope {
  if (typeof v !== 'object' || v === null || typeof (v as { ok?: unknown }).ok !== 'boolean') return false;
  if ((v as { ok: boolean }).ok) return true;
  const error = (v as { error?: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

/**
 * Request/reply over NATS core. Deliberately thin: JSON in, JSON out, errors
 * as data, and a precise mapping of transport failures to 503/504 so the
 * gateway (and its breakers) can tell "the service said no" from "nobody is there".
 */
export class MessageBus {
  private readonly served = new Set<Served>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly onError: BusErrorHook;
  private readonly defaultTimeoutMs: number;
  private readonly mapError?: (err: unknown) => AppError | undefined;
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  private isConnected = true;
  readonly instance: string;

  constructor(
    private readonly nc: NatsConnection,
    opts: MessageBusOptions = {},
  ) {
    this.onError = opts.onError ?? ((err, subject) => console.error(`[messaging] handler for ${subject} failed`, err));
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.mapError = opts.mapError;
    this.instance = opts.instance ?? currentInstance();
    void this.watchStatus();
  }

  /**
   * False from the moment the client loses the server until it is back.
   * nats.js would buffer a request meanwhile and let it time out; callers
   * rather answer 503 at once.
   */
  get connected(): boolean {
    return this.isConnected && !this.nc.isClosed();
  }

  /** Called with false on a disconnect and true on the reconnect. Returns an unsubscribe function. */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /** The wire subject of a contract (for raw NATS access, e.g. in tests). */
  subjectOf(contract: RequestContract<any, any>): string {
    return requestSubject(contract.subject, this.instance);
  }

  private async watchStatus(): Promise<void> {
    const set = (connected: boolean) => {
      if (this.isConnected === connected) return;
      this.isConnected = connected;
      for (const l of this.connectionListeners) l(connected);
    };
    try {
      for await (const s of this.nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnecting' || s.type === 'close') set(false);
        else if (s.type === 'reconnect') set(true);
      }
    } catch {
      /* the iterator ends with the connection */
    }
    set(false);
  }

  static async connect(opts: ConnectOptions): Promise<MessageBus> {
    const nc = await connect({
      servers: opts.servers ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      name: opts.name,
      // A control plane must outlive NATS restarts: never give up reconnecting,
      // and try often, so service is back within a second of the server.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      // Detect a dead server in ~30 s rather than the 2 min default.
      pingInterval: 10_000,
      maxPingOut: 3,
      ...opts.connection,
    });
    return new MessageBus(nc, opts);
  }

  get connection(): NatsConnection {
    return this.nc;
  }

  async request<C extends RequestContract<any, any>>(
    contract: C,
    payload: RequestOf<C>,
    opts: RequestOptions = {},
  ): Promise<ResponseOf<C>> {
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    if (!this.connected) throw busUnavailable(contract.service);
    let reply: Msg;
    const timer = natsRequestSeconds().startTimer({ target: contract.service });
    try {
      reply = await this.nc.request(this.subjectOf(contract), encodeJson(payload), {
        timeout: timeoutMs,
        headers: toNatsHeaders(opts.headers),
      });
    } catch (err) {
      throw mapNatsRequestError(err, contract.service, timeoutMs);
    } finally {
      timer();
    }

    let envelope: unknown;
    try {
      envelope = JSON.parse(decoder.decode(reply.data));
    } catch {
      envelope = undefined;
    }
    if (!isEnvelope(envelope)) {
      throw new AppError('INTERNAL_SERVER_ERROR', `The ${contract.service} service sent an unreadable reply`, {
        service: contract.service,
      });
    }
    if (envelope.ok) return envelope.data as ResponseOf<C>;
    const { code, message, details } = envelope.error;
    throw new AppError(isErrorCode(code) ? code : 'INTERNAL_SERVER_ERROR', message, details);
  }

  serve<C extends RequestContract<any, any>>(contract: C, handler: RequestHandler<C>, opts: ServeOptions = {}): Served {
    const queue = opts.queue ?? `${this.instance}-${contract.service}`;
    const sub: Subscription = this.nc.subscribe(this.subjectOf(contract), {
      queue,
      // Callback mode dispatches each message without waiting for the previous
      // handler: one slow request must not stall the others.
      callback: (err, msg) => {
        if (err) {
          this.onError(err, contract.subject);
          return;
        }
        this.track(this.handle(msg, contract.subject, handler));
      },
    });
    const served: Served = {
      subject: contract.subject,
      queue,
      stop: async () => {
        this.served.delete(served);
        if (!sub.isClosed()) await sub.drain();
        await Promise.allSettled([...this.inFlight]);
      },
    };
    this.served.add(served);
    return served;
  }

  /** Graceful shutdown: stop taking requests, finish in-flight handlers, flush, close. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.served].map((s) => s.stop()));
    await Promise.allSettled([...this.inFlight]);
    if (!this.nc.isClosed() && !this.nc.isDraining()) await this.nc.drain();
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.close();
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async handle<C>(msg: Msg, subject: string, handler: RequestHandler<C>): Promise<void> {
    const envelope = await this.invoke(msg, subject, handler);
    if (!msg.reply) return; // fire-and-forget publish to a request subject: nothing to answer
    let body: Uint8Array;
    try {
      body = encodeJson(envelope);
    } catch (err) {
      // e.g. a BigInt or a cycle in the handler's result
      this.onError(err, subject);
      body = encodeJson(this.internalError(msg));
    }
    try {
      msg.respond(body);
    } catch (err) {
      this.onError(err, subject);
    }
  }

  private async invoke<C>(msg: Msg, subject: string, handler: RequestHandler<C>): Promise<ReplyEnvelope> {
    let payload: RequestOf<C>;
    try {
      payload = msg.data.length === 0 ? (undefined as RequestOf<C>) : (JSON.parse(decoder.decode(msg.data)) as RequestOf<C>);
    } catch {
      return { ok: false, error: { code: 'INVALID_INPUT', message: 'The request payload is not valid JSON' } };
    }
    try {
      const ctx: HandlerContext = { headers: fromNatsHeaders(msg.headers), subject };
      const data = await handler(payload, ctx);
      return { ok: true, data };
    } catch (err) {
      if (err instanceof AppError) return { ok: false, error: err.toJSON() };
      const mapped = this.mapError?.(err);
      if (mapped) return { ok: false, error: mapped.toJSON() };
      this.onError(err, subject);
      return this.internalError(msg);
    }
  }

  private internalError(msg: Msg): ReplyEnvelope {
    // Only the request id goes back, so operators can find the logged error.
    const requestId = fromNatsHeaders(msg.headers).requestId;
    return {
      ok: false,
      error: { code: 'INTERNAL_SERVER_ERROR', message: GENERIC_INTERNAL_MESSAGE, ...(requestId ? { details: { requestId } } : {}) },
    };
  }
}
