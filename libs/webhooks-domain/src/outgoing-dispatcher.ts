import { PgAdvisoryLock } from '@slipway/messaging';
import type { SecretBox } from '@slipway/secrets';
import { retryDelayMs } from './outgoing-backoff';
import type { OutgoingDeliveries } from './outgoing-deliveries';
import { sendWebhook, type SendResult } from './outgoing-sender';
import { standardWebhookHeaders } from './outgoing-signature';

export interface DispatcherConfig {
  backoffMs: readonly number[];
  timeoutMs: number;
  allowPrivate: boolean;
  pollMs: number;
  /** Consecutive events failed for good after which an endpoint is disabled (0: never). */
  disableAfter: number;
  concurrency: number;
}

export interface DispatcherDeps {
  deliveries: OutgoingDeliveries;
  secrets: SecretBox;
  lockDataSource: ConstructorParameters<typeof PgAdvisoryLock>[0];
  schema: string;
  /** Disables an endpoint through its decider (the event says why). */
  disableEndpoint: (endpointId: string, reason: string) => Promise<void>;
  log: (message: string) => void;
  send?: typeof sendWebhook;
}

/**
 * Sends due deliveries. Only the replica holding the advisory lock sends (the
 * others stand by and take over when its session ends); everything it needs
 * is in PostgreSQL, so a restart resumes where the last one stopped, with the
 * same webhook-id.
 */
export class OutgoingDispatcher {
  private readonly lock: PgAdvisoryLock;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;

  constructor(
    private readonly config: DispatcherConfig,
    private readonly deps: DispatcherDeps,
  ) {
    this.lock = new PgAdvisoryLock(deps.lockDataSource, `slipway.webhooks:${deps.schema}:dispatcher`);
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.config.pollMs);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.lock.release().catch(() => undefined);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.cycle()
      .catch((err: unknown) => this.deps.log(`dispatcher: ${(err as Error)?.message ?? String(err)}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async cycle(): Promise<void> {
    if (!(await this.lock.tryAcquire())) return;
    for (;;) {
      const due = await this.deps.deliveries.due(new Date(), this.config.concurrency);
      if (due.length === 0 || this.stopped) return;
      await Promise.all(due.map((d) => this.attempt(d)));
    }
  }

  private async attempt(d: Awaited<ReturnType<OutgoingDeliveries['due']>>[number]): Promise<void> {
    const attemptedAt = new Date();
    let result: SendResult;
    try {
      const secret = this.deps.secrets.decrypt(d.secret);
      const headers = standardWebhookHeaders(secret, d.event_id, Math.floor(attemptedAt.getTime() / 1000), d.body);
      result = await (this.deps.send ?? sendWebhook)(d.url, headers, d.body, { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivate });
    } catch (err) {
      result = { statusCode: null, durationMs: Date.now() - attemptedAt.getTime(), excerpt: (err as Error).message, ok: false };
    }
    const delay = result.ok ? undefined : retryDelayMs(this.config.backoffMs, d.attempts + 1);
    const status = result.ok ? 'delivered' : delay === undefined ? 'failed' : 'pending';
    await this.deps.deliveries.recordAttempt(d.id, { attemptedAt, ...result }, { status, nextAttemptAt: delay === undefined ? null : new Date(Date.now() + delay) });
    if (status === 'failed' && this.config.disableAfter > 0) {
      const failures = await this.deps.deliveries.consecutiveFailures(d.endpoint_id, this.config.disableAfter);
      if (failures >= this.config.disableAfter) {
        await this.deps.disableEndpoint(d.endpoint_id, `${failures} consecutive events could not be delivered`);
      }
    }
  }
}
