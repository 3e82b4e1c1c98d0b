import { AppError } from '@slipway/core';
import type { SessionView } from '@slipway/identity-contracts';

const UNKNOWN_SESSION_TTL_MS = 5_000;

/**
 * The sessions a gateway accepts tokens for: ended ones (revoked), ones it
 * knows exist (seen starting, or looked up once), and misses remembered for a
 * few seconds so a flood of made-up ids costs little. Pure (no Nest): the
 * look-up is given.
 */
export class SessionRegistry {
  private readonly revoked = new Map<string, number>();
  private readonly known = new Map<string, { userId: string; expiresAt: number }>();
  private readonly misses = new Map<string, number>();
  /** One look-up per unknown session at a time, however many requests carry it. */
  private readonly lookups = new Map<string, Promise<void>>();

  constructor(
    /** The session by id; RESOURCE_NOT_FOUND when there is none. */
    private readonly lookUp: (sessionId: string) => Promise<SessionView>,
    private readonly now: () => number = Date.now,
  ) {}

  revoke(sessionId: string, expiresAt: string): void {
    this.revoked.set(sessionId, Date.parse(expiresAt) || this.now() + 7 * 86400_000);
  }

  isRevoked(sessionId: string): boolean {
    const expires = this.revoked.get(sessionId);
    if (expires !== undefined && expires < this.now()) this.revoked.delete(sessionId);
    return expires !== undefined;
  }

  remember(sessionId: string, userId: string, expiresAt: string): void {
    this.known.set(sessionId, { userId, expiresAt: Date.parse(expiresAt) || 0 });
    this.misses.delete(sessionId);
  }

  /** Refuses (401 INVALID_TOKEN) a session that was ended, never existed, or belongs to someone else. */
  async check(sessionId: string, userId: string): Promise<void> {
    if (this.isRevoked(sessionId)) throw new AppError('INVALID_TOKEN', 'The token was revoked (logged out); log in again');
    let known = this.known.get(sessionId);
    if (known && known.expiresAt < this.now()) {
      this.known.delete(sessionId);
      known = undefined;
    }
    if (!known) {
      const missUntil = this.misses.get(sessionId);
      if (missUntil === undefined || missUntil < this.now()) await this.lookUpOnce(sessionId);
      if (this.isRevoked(sessionId)) throw new AppError('INVALID_TOKEN', 'The token was revoked (logged out); log in again');
      known = this.known.get(sessionId);
    }
    if (!known || known.userId !== userId) throw new AppError('INVALID_TOKEN', 'The token names no session of this account; log in again');
  }

  /** Drops what has expired (called with every access snapshot). */
  prune(): void {
    const now = this.now();
    for (const [sid, s] of this.known) if (s.expiresAt < now) this.known.delete(sid);
    for (const [sid, until] of this.misses) if (until < now) this.misses.delete(sid);
    for (const [sid, until] of this.revoked) if (until < now) this.revoked.delete(sid);
  }

  private lookUpOnce(sessionId: string): Promise<void> {
    let pending = this.lookups.get(sessionId);
    if (!pending) {
      pending = (async () => {
        try {
          const found = await this.lookUp(sessionId);
          if (found.ended) this.revoke(sessionId, found.expiresAt);
          else this.remember(sessionId, found.userId, found.expiresAt);
        } catch (e) {
          if ((e as AppError).code !== 'RESOURCE_NOT_FOUND') throw e;
          this.misses.set(sessionId, this.now() + UNKNOWN_SESSION_TTL_MS);
        }
      })().finally(() => this.lookups.delete(sessionId));
      this.lookups.set(sessionId, pending);
    }
    return pending;
  }
}
