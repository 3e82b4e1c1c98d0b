import { createHash } from 'node:crypto';
import { AppError, type ValidationIssue } from '@slipway/core';
import {
  EMAIL_PATTERN,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  USERNAME_PATTERN,
  type ApiKeyRecord,
  type ApiKeyView,
  type InvitationView,
  type RegisterRequest,
  type Role,
  type UserCommand,
  type UserView,
} from '@slipway/identity-contracts';

/** Rows of the accounts model and how they are shown; pure helpers of IdentityApplication. */

export interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  roles: Role[];
  team_id: string;
  created_at: Date;
  email_verified: boolean;
  instance_owner: boolean | null;
}

export function registeredView(command: Extract<UserCommand, { type: 'RegisterUser' }>): UserView {
  const d = command.data;
  return {
    id: d.userId,
    username: d.username,
    email: d.email,
    emailVerified: d.emailVerified ?? false,
    roles: d.roles,
    teamId: d.teamId,
    createdAt: command.metadata.now,
  };
}

export function toView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    emailVerified: row.email_verified,
    roles: row.roles,
    teamId: row.team_id,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function validateRegistration(req: RegisterRequest): void {
  const issues: ValidationIssue[] = [];
  if (typeof req.username !== 'string' || !USERNAME_PATTERN.test(req.username)) {
    issues.push({
      field: 'username',
      message: 'Username must be 3-32 letters, digits, dots, underscores or hyphens, starting and ending with a letter or digit',
      constraint: 'pattern',
      received: req.username,
    });
  }
  if (typeof req.email !== 'string' || req.email.length > 254 || !EMAIL_PATTERN.test(req.email)) {
    issues.push({ field: 'email', message: 'Email must be a valid address', constraint: 'isEmail', received: req.email });
  }
  if (typeof req.password !== 'string' || req.password.length < PASSWORD_MIN_LENGTH || req.password.length > PASSWORD_MAX_LENGTH) {
    // Never echo a password back.
    issues.push({
      field: 'password',
      message: `Password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters`,
      constraint: 'length',
    });
  }
  if (issues.length > 0) throw AppError.validation(issues);
}

export interface ApiKeyRow {
  id: string;
  user_id: string;
  team_id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  project_ids: string[] | null;
  permission: 'read' | 'read-write';
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export function toApiKeyView(r: ApiKeyRow): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    prefix: `${r.prefix}…`,
    teamId: r.team_id,
    projectIds: r.project_ids,
    permission: r.permission,
    expiresAt: iso(r.expires_at),
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export function toApiKeyRecord(r: ApiKeyRow): ApiKeyRecord {
  return {
    keyId: r.id,
    userId: r.user_id,
    teamId: r.team_id,
    secretHash: r.secret_hash,
    projectIds: r.project_ids,
    permission: r.permission,
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
  };
}

/** `0123…` (32 hex digits, as in tokens) → the UUID. */
export const uuidOf = (hex: string): string => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
/** A stable UUID derived from a string (a retried command gets the same id). */
export const uuidFrom = (seed: string): string => uuidOf(createHash('sha256').update(seed).digest('hex').slice(0, 32));

/** API keys carry 256 random bits: a fast hash is enough (no dictionary to guess from). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface InvitationRow {
  id: string;
  email: string | null;
  team_id: string | null;
  role: InvitationView['role'];
  invited_by: string;
  expires_at: Date;
  accepted_by: string | null;
  revoked_at: Date | null;
  created_at: Date;
}

export function toInvitationView(r: InvitationRow): InvitationView {
  const expired = new Date(r.expires_at).getTime() <= Date.now();
  return {
    id: r.id,
    status: r.accepted_by ? 'accepted' : r.revoked_at ? 'revoked' : expired ? 'expired' : 'open',
    email: r.email,
    teamId: r.team_id,
    role: r.role,
    expiresAt: new Date(r.expires_at).toISOString(),
    createdAt: new Date(r.created_at).toISOString(),
  };
}
