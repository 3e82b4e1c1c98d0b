import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppError } from '@slipway/core';
import { IDENTITY_EVENTS_SUBJECT, IdentityApi, type ApiKeyRecord } from '@slipway/identity-contracts';
import { eventSubjectOf, type PublicEvent } from '@slipway/messaging';
import { Downstream } from '../downstream';
import type { Principal } from '../conventions/request';
import { AccessModel } from './access-model';
import { SessionRegistry } from './session-registry';

const RESYNC_MS = 60_000;
const KEY_USE_FLUSH_MS = 15_000;
const UNKNOWN_KEY_TTL_MS = 5_000;

/**
 * Keeps this replica's AccessModel and revoked sessions current: a snapshot
 * from identity at start-up (and every minute, and after NATS reconnects),
 * plus every identity event as it is published. Events that arrive while a
 * snapshot loads are buffered and applied on top; applying is idempotent.
 */
@Injectable()
export class AccessService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Access');
  readonly model = new AccessModel();
  /** Ended and known sessions: fed by SessionStarted/SessionEnded, logins here, and one look-up per unknown sid. */
  private readonly sessions: SessionRegistry;
  private readonly unknownKeys = new Map<string, number>();
  private readonly keyUses = new Map<string, string>();
  private subscription?: { unsubscribe(): void };
  private buffer: PublicEvent[] | undefined = [];
  private timers: NodeJS.Timeout[] = [];
  private loaded = false;
  private readonly listeners = new Set<(event: PublicEvent) => void>();

  constructor(@Inject(Downstream) private readonly downstream: Downstream) {
    this.sessions = new SessionRegistry((sessionId) => this.downstream.request(IdentityApi.session, { sessionId }, {}));
  }

  async onApplicationBootstrap(): Promise<void> {
    const nc = this.downstream.bus.connection;
    this.subscription = nc.subscribe(eventSubjectOf(IDENTITY_EVENTS_SUBJECT, this.downstream.bus.instance), {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.onEvent(msg.json<PublicEvent>());
        } catch (e) {
          this.logger.warn(`Ignoring a malformed identity event: ${(e as Error).message}`);
        }
      },
    });
    void this.syncUntilLoaded();
    this.timers.push(setInterval(() => void this.sync().catch(() => undefined), RESYNC_MS).unref());
    this.timers.push(setInterval(() => void this.flushKeyUses(), KEY_USE_FLUSH_MS).unref());
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'reconnect') void this.sync().catch(() => undefined);
    })();
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    for (const t of this.timers) clearInterval(t);
    await this.flushKeyUses();
  }

  get ready(): boolean {
    return this.loaded;
  }

  private onEvent(event: PublicEvent): void {
    if (this.buffer) this.buffer.push(event);
    this.applyEvent(event);
  }

  private applyEvent(event: PublicEvent): void {
    const d = event.data as Record<string, any>;
    if (event.type === 'SessionEnded') this.revoke(d.sessionId, d.expiresAt);
    if (event.type === 'SessionStarted') this.rememberSession(d.sessionId, d.userId, d.expiresAt);
    if (event.type === 'ApiKeyCreated') void this.fetchKey(d.keyId).catch(() => undefined);
    this.model.apply(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Called after every identity event is applied (the WebSocket re-checks its connections). */
  onIdentityEvent(listener: (event: PublicEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether a JWT's session was ended (logout, password change): synchronous, from what this replica heard. */
  isSessionRevoked(sessionId: string): boolean {
    return this.sessions.isRevoked(sessionId);
  }

  private async syncUntilLoaded(): Promise<void> {
    for (let attempt = 0; !this.loaded; attempt++) {
      try {
        await this.sync();
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * (attempt + 1))));
      }
    }
  }

  private async sync(): Promise<void> {
    this.buffer = [];
    const snapshot = await this.downstream.request(IdentityApi.accessSnapshot, {}, {});
    const buffered = this.buffer;
    this.buffer = undefined;
    this.model.load(snapshot);
    for (const s of snapshot.revokedSessions) this.revoke(s.sessionId, s.expiresAt);
    for (const event of buffered) if (event.globalPosition > snapshot.position) this.applyEvent(event);
    this.sessions.prune();
    if (!this.loaded) this.logger.log(`access model loaded at identity position ${snapshot.position}`);
    this.loaded = true;
  }

  revoke(sessionId: string, expiresAt: string): void {
    this.sessions.revoke(sessionId, expiresAt);
  }

  rememberSession(sessionId: string, userId: string, expiresAt: string): void {
    this.sessions.remember(sessionId, userId, expiresAt);
  }

  /** A JWT's session must exist, belong to its user and not be ended. */
  checkSession(sessionId: string, userId: string): Promise<void> {
    return this.sessions.check(sessionId, userId);
  }

  /** Resolves an API key to a principal; unknown ids are looked up once (then cached, negatively too). */
  async authenticateKey(token: string): Promise<Principal> {
    let record = this.model.authenticateKey(token, Date.now());
    if (record === 'unknown') {
      const keyId = AccessModel.keyIdOf(token)!;
      const missUntil = this.unknownKeys.get(keyId);
      if (!missUntil || missUntil < Date.now()) {
        const fetched = await this.fetchKey(keyId).catch(() => undefined);
        if (!fetched) this.unknownKeys.set(keyId, Date.now() + UNKNOWN_KEY_TTL_MS);
      }
      record = this.model.authenticateKey(token, Date.now());
      if (record === 'unknown') throw new AppError('INVALID_TOKEN', 'The API key is not valid');
    }
    this.keyUses.set(record.keyId, new Date().toISOString());
    return {
      kind: 'apiKey',
      userId: record.userId,
      keyId: record.keyId,
      key: { teamId: record.teamId, projectIds: record.projectIds, permission: record.permission },
      roles: [],
      teamId: record.teamId,
    };
  }

  private async fetchKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    try {
      const record = await this.downstream.request(IdentityApi.apiKey, { keyId }, {});
      this.model.putKey(record);
      this.unknownKeys.delete(keyId);
      return record;
    } catch (e) {
      if ((e as AppError).code === 'RESOURCE_NOT_FOUND') return undefined;
      throw e;
    }
  }

  /** "Last used" is written in batches, never as a write per request. */
  private async flushKeyUses(): Promise<void> {
    if (this.keyUses.size === 0) return;
    const uses = [...this.keyUses.entries()].map(([keyId, usedAt]) => ({ keyId, usedAt }));
    this.keyUses.clear();
    await this.downstream.request(IdentityApi.recordApiKeyUse, { uses }, {}).catch(() => undefined);
  }
}
