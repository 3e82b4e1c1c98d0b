import type { EntityManager } from 'typeorm';
import { AppError } from '@slipway/core';
import type { Projection, RecordedEvent } from '@slipway/event-store';
import type { UserEvent } from '@slipway/identity-contracts';

/**
 * `users` and `sessions` are inline projections: written in the append
 * transaction, because login and uniqueness of usernames need them at once.
 * They stay rebuildable from the events (`npm run replay -- identity users`).
 */
export const USERS_PROJECTION = 'users';

export function usersProjection(schema: string): Projection {
  const users = `"${schema}".users`;
  const sessions = `"${schema}".sessions`;
  const identities = `"${schema}".oidc_identities`;
  return {
    name: USERS_PROJECTION,
    handles: ['UserRegistered', 'SessionStarted', 'SessionEnded', 'OidcIdentityLinked'],
    async init(tx: EntityManager) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${users} (
          id uuid PRIMARY KEY,
          username text NOT NULL,
          email text NOT NULL,
          password_hash text NOT NULL,
          roles text[] NOT NULL,
          team_id uuid NOT NULL,
          created_at timestamptz NOT NULL
        )`);
      await tx.query(`CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON ${users} (lower(username))`);
      await tx.query(`CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON ${users} (lower(email))`);
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${sessions} (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL,
          expires_at timestamptz NOT NULL,
          ended_at timestamptz
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS sessions_ended ON ${sessions} (expires_at) WHERE ended_at IS NOT NULL`);
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${identities} (
          provider text NOT NULL,
          subject text NOT NULL,
          issuer text NOT NULL,
          user_id uuid NOT NULL,
          PRIMARY KEY (provider, subject)
        )`);
    },
    async apply(tx: EntityManager, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as UserEvent;
      switch (event.type) {
        case 'UserRegistered': {
          const d = event.data;
          const taken: Array<{ username: string; email: string; id: string }> = await tx.query(
            `SELECT id, username, email FROM ${users} WHERE (lower(username) = lower($1) OR lower(email) = lower($2)) AND id <> $3`,
            [d.username, d.email, d.userId],
          );
          if (taken.length > 0) {
            const field = taken[0].username.toLowerCase() === d.username.toLowerCase() ? 'username' : 'email';
            throw AppError.conflict(`An account with this ${field} already exists`, { field });
          }
          await tx.query(
            `INSERT INTO ${users} (id, username, email, password_hash, roles, team_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
            [d.userId, d.username, d.email, d.passwordHash, d.roles, d.teamId, d.registeredAt],
          );
          return;
        }
        case 'SessionStarted':
          await tx.query(`INSERT INTO ${sessions} (id, user_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, [
            event.data.sessionId,
            event.data.userId,
            event.data.expiresAt,
          ]);
          return;
        case 'SessionEnded':
          await tx.query(`UPDATE ${sessions} SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL`, [
            event.data.sessionId,
            event.data.endedAt,
          ]);
          return;
        case 'OidcIdentityLinked':
          await tx.query(
            `INSERT INTO ${identities} (provider, subject, issuer, user_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
            [event.data.provider, event.data.subject, event.data.issuer, event.data.userId],
          );
          return;
        default:
          return;
      }
    },
    async reset(tx: EntityManager) {
      await tx.query(`TRUNCATE ${users}, ${sessions}, ${identities}`);
    },
  };
}
