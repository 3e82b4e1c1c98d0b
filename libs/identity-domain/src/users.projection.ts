import type { EntityManager } from 'typeorm';
import { AppError } from '@slipway/core';
import type { Projection, RecordedEvent } from '@slipway/event-store';
import type { ApiKeyEvent, InvitationEvent, TeamEvent, UserEvent } from '@slipway/identity-contracts';

/**
 * The accounts model (users, sessions, OIDC identities, teams, members, API
 * keys) is an inline projection: written in the append transaction, because
 * login, uniqueness and authorization need it at once. It stays rebuildable
 * from the events (`npm run replay -- identity accounts`).
 */
export const USERS_PROJECTION = 'accounts';

export function usersProjection(schema: string): Projection {
  const users = `"${schema}".users`;
  const sessions = `"${schema}".sessions`;
  const identities = `"${schema}".oidc_identities`;
  const teams = `"${schema}".teams`;
  const members = `"${schema}".team_members`;
  const keys = `"${schema}".api_keys`;
  const invitations = `"${schema}".invitations`;
  return {
    name: USERS_PROJECTION,
    handles: [
      'UserRegistered',
      'SessionStarted',
      'SessionEnded',
      'OidcIdentityLinked',
      'EmailChanged',
      'PasswordChanged',
      'EmailVerified',
      'TeamCreated',
      'TeamMemberAdded',
      'TeamMemberRoleChanged',
      'TeamMemberRemoved',
      'ApiKeyCreated',
      'ApiKeyRevoked',
      'ApiKeyUsed',
      'InvitationCreated',
      'InvitationAccepted',
      'InvitationReleased',
      'InvitationRevoked',
    ],
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
      // Added later: rows from before start unverified, and the first account is the owner.
      await tx.query(`ALTER TABLE ${users} ADD COLUMN IF NOT EXISTS email_verified boolean NOT NULL DEFAULT false`);
      await tx.query(`ALTER TABLE ${users} ADD COLUMN IF NOT EXISTS instance_owner boolean`);
      await tx.query(
        `UPDATE ${users} SET instance_owner = (id = (SELECT id FROM ${users} ORDER BY created_at, id LIMIT 1)) WHERE instance_owner IS NULL`,
      );
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
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${teams} (
          id uuid PRIMARY KEY,
          name text NOT NULL,
          description text,
          owner_id uuid NOT NULL,
          personal boolean NOT NULL,
          created_at timestamptz NOT NULL
        )`);
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${members} (
          team_id uuid NOT NULL,
          user_id uuid NOT NULL,
          role text NOT NULL,
          PRIMARY KEY (team_id, user_id)
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS team_members_user ON ${members} (user_id)`);
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${keys} (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL,
          team_id uuid NOT NULL,
          name text NOT NULL,
          prefix text NOT NULL,
          secret_hash text NOT NULL,
          project_ids uuid[],
          permission text NOT NULL,
          expires_at timestamptz,
          revoked_at timestamptz,
          last_used_at timestamptz,
          created_at timestamptz NOT NULL
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS api_keys_user ON ${keys} (user_id)`);
      // Invitations bound to an email, found by that email when a provider proves it (never the token hash).
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${invitations} (
          id uuid PRIMARY KEY,
          email text,
          team_id uuid,
          role text,
          invited_by uuid NOT NULL,
          expires_at timestamptz NOT NULL,
          accepted_by uuid,
          revoked_at timestamptz,
          created_at timestamptz NOT NULL
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS invitations_email ON ${invitations} (lower(email)) WHERE accepted_by IS NULL AND revoked_at IS NULL`);
    },
    async apply(tx: EntityManager, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as UserEvent | TeamEvent | ApiKeyEvent | InvitationEvent;
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
          // Events from before `instanceOwner` existed: the first account registered is the owner.
          await tx.query(
            `INSERT INTO ${users} (id, username, email, password_hash, roles, team_id, created_at, email_verified, instance_owner)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, NOT EXISTS (SELECT 1 FROM ${users}))) ON CONFLICT (id) DO NOTHING`,
            [d.userId, d.username, d.email, d.passwordHash, d.roles, d.teamId, d.registeredAt, d.emailVerified ?? false, d.instanceOwner ?? null],
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
        case 'EmailChanged': {
          const clash: unknown[] = await tx.query(`SELECT 1 FROM ${users} WHERE lower(email) = lower($1) AND id <> $2`, [event.data.email, event.data.userId]);
          if (clash.length > 0) throw AppError.conflict('An account with this email already exists', { field: 'email' });
          await tx.query(`UPDATE ${users} SET email = $2, email_verified = false WHERE id = $1`, [event.data.userId, event.data.email]);
          return;
        }
        case 'EmailVerified':
          await tx.query(`UPDATE ${users} SET email_verified = true WHERE id = $1 AND lower(email) = lower($2)`, [event.data.userId, event.data.email]);
          return;
        case 'PasswordChanged':
          await tx.query(`UPDATE ${users} SET password_hash = $2 WHERE id = $1`, [event.data.userId, event.data.passwordHash]);
          return;
        case 'TeamCreated': {
          const d = event.data;
          await tx.query(
            `INSERT INTO ${teams} (id, name, description, owner_id, personal, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
            [d.teamId, d.name, d.description, d.ownerId, d.personal, d.createdAt],
          );
          return;
        }
        case 'TeamMemberAdded':
        case 'TeamMemberRoleChanged':
          await tx.query(
            `INSERT INTO ${members} (team_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
            [event.data.teamId, event.data.userId, event.data.role],
          );
          return;
        case 'TeamMemberRemoved':
          await tx.query(`DELETE FROM ${members} WHERE team_id = $1 AND user_id = $2`, [event.data.teamId, event.data.userId]);
          return;
        case 'ApiKeyCreated': {
          const d = event.data;
          await tx.query(
            `INSERT INTO ${keys} (id, user_id, team_id, name, prefix, secret_hash, project_ids, permission, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
            [d.keyId, d.userId, d.teamId, d.name, d.prefix, d.secretHash, d.projectIds, d.permission, d.expiresAt, d.createdAt],
          );
          return;
        }
        case 'ApiKeyRevoked':
          await tx.query(`UPDATE ${keys} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, [event.data.keyId, event.data.revokedAt]);
          return;
        case 'ApiKeyUsed':
          await tx.query(`UPDATE ${keys} SET last_used_at = GREATEST(coalesce(last_used_at, $2), $2) WHERE id = $1`, [event.data.keyId, event.data.usedAt]);
          return;
        case 'InvitationCreated': {
          const d = event.data;
          await tx.query(
            `INSERT INTO ${invitations} (id, email, team_id, role, invited_by, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
            [d.invitationId, d.email, d.teamId, d.role, d.invitedBy, d.expiresAt, d.createdAt],
          );
          return;
        }
        case 'InvitationAccepted':
          await tx.query(`UPDATE ${invitations} SET accepted_by = $2 WHERE id = $1`, [event.data.invitationId, event.data.userId]);
          return;
        case 'InvitationRevoked':
          await tx.query(`UPDATE ${invitations} SET revoked_at = $2 WHERE id = $1`, [event.data.invitationId, event.data.revokedAt]);
          return;
        case 'InvitationReleased':
          await tx.query(`UPDATE ${invitations} SET accepted_by = NULL WHERE id = $1 AND accepted_by = $2`, [event.data.invitationId, event.data.userId]);
          return;
        default:
          return;
      }
    },
    async reset(tx: EntityManager) {
      await tx.query(`TRUNCATE ${users}, ${sessions}, ${identities}, ${teams}, ${members}, ${keys}, ${invitations}`);
    },
  };
}
