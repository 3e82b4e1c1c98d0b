import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { IdentityApi, SESSION_ENDED_SUBJECT } from '@slipway/identity-contracts';
import type { PublicEvent } from '@slipway/messaging';
import { Downstream } from '../downstream';

/**
 * Revoked sessions, held in memory so that checking a token costs no round
 * trip. Filled from the identity service at start-up and kept current by the
 * public `SessionEnded` events, which reach every gateway replica at once.
 */
@Injectable()
export class RevocationsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Revocations');
  private readonly revoked = new Map<string, number /* expires at, ms */>();
  private subscription?: { unsubscribe(): void };
  private loaded = false;
  private sweeper?: NodeJS.Timeout;

  constructor(@Inject(Downstream) private readonly downstream: Downstream) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.downstream.bus.connection.subscribe(SESSION_ENDED_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const event = msg.json<PublicEvent<{ sessionId: string; expiresAt: string }>>();
          this.revoke(event.data.sessionId, event.data.expiresAt);
        } catch (e) {
          this.logger.warn(`Ignoring a malformed SessionEnded event: ${(e as Error).message}`);
        }
      },
    });
    void this.load();
    this.sweeper = setInterval(() => this.sweep(), 60_000).unref();
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** Sessions ended before this gateway started; retried until identity answers. */
  private async load(): Promise<void> {
    for (let attempt = 0; !this.loaded; attempt++) {
      try {
        const { sessions } = await this.downstream.request(IdentityApi.revokedSessions, {}, {});
        for (const s of sessions) this.revoke(s.sessionId, s.expiresAt);
        this.loaded = true;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * (attempt + 1))));
      }
    }
  }

  get ready(): boolean {
    return this.loaded;
  }

  revoke(sessionId: string, expiresAt: string): void {
    this.revoked.set(sessionId, Date.parse(expiresAt) || Date.now() + 7 * 86400_000);
  }

  isRevoked(sessionId: string): boolean {
    return this.revoked.has(sessionId);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, expires] of this.revoked) if (expires < now) this.revoked.delete(id);
  }
}
