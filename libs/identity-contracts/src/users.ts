import type { Command, Event, HealthResponse, Page } from '@slipway/core';
import type { ApiKeyPermission, AssignableRole, TeamRole } from './access';
import type { ApiKeyRecord, ApiKeyView } from './api-keys';
import type { CreateInvitationRequest, CreateInvitationResponse, InvitationView } from './invitations';
import type { TeamMemberView, TeamView } from './teams';
import { defineRequest } from '@slipway/messaging';

export const IDENTITY_SERVICE = 'identity';

/** Usernames: 3–32 characters, letters, digits, dot, underscore, hyphen; unique case-insensitively. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,30}[A-Za-z0-9]$/;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 200;
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Role = TeamRole;

export interface UserView {
  id: string;
  username: string;
  email: string;
  /** Proved by a verification token (or by an OIDC provider that verified it); only verified emails link OIDC sign-ins. */
  emailVerified: boolean;
  roles: Role[];
  /** The user's personal team, where their projects go by default. */
  teamId: string;
  createdAt: string;
}

export const userStreamId = (userId: string): string => `user-${userId}`;

// Commands -------------------------------------------------------------------
interface Registration {
  userId: string;
  username: string;
  email: string;
  passwordHash: string;
  roles: Role[];
  teamId: string;
  /** The installation's owner (the first account): may invite anyone. Absent in events from before: false. */
  instanceOwner?: boolean;
  /** Registered through an OIDC provider that verified the email. Absent: false. */
  emailVerified?: boolean;
  invitationId?: string | null;
}
export type RegisterUser = Command<'RegisterUser', Registration>;
export type StartSession = Command<'StartSession', { userId: string; sessionId: string; expiresAt: string }>;
export type EndSession = Command<'EndSession', { userId: string; sessionId: string }>;
export type ChangeEmail = Command<'ChangeEmail', { userId: string; email: string }>;
/** Ends every other live session of the user; `keepSessionId` (the session asking) stays. */
export type ChangePassword = Command<'ChangePassword', { userId: string; passwordHash: string; keepSessionId: string | null }>;
export type RequestEmailVerification = Command<'RequestEmailVerification', { userId: string; tokenHash: string; expiresAt: string }>;
export type VerifyEmail = Command<'VerifyEmail', { userId: string; tokenHash: string }>;
export type LinkOidcIdentity = Command<'LinkOidcIdentity', { userId: string; provider: string; issuer: string; subject: string }>;
export type UserCommand =
  | RegisterUser
  | StartSession
  | EndSession
  | LinkOidcIdentity
  | ChangeEmail
  | ChangePassword
  | RequestEmailVerification
  | VerifyEmail;

// Events ---------------------------------------------------------------------
export type UserRegistered = Event<'UserRegistered', Registration & { registeredAt: string }>;
export type SessionStarted = Event<'SessionStarted', { userId: string; sessionId: string; expiresAt: string; startedAt: string }>;
export type SessionEnded = Event<'SessionEnded', { userId: string; sessionId: string; expiresAt: string; endedAt: string }>;
export type OidcIdentityLinked = Event<
  'OidcIdentityLinked',
  { userId: string; provider: string; issuer: string; subject: string; linkedAt: string }
>;
export type EmailChanged = Event<'EmailChanged', { userId: string; email: string; previousEmail: string; changedAt: string }>;
export type PasswordChanged = Event<'PasswordChanged', { userId: string; passwordHash: string; changedAt: string }>;
export type EmailVerificationRequested = Event<
  'EmailVerificationRequested',
  { userId: string; email: string; tokenHash: string; expiresAt: string; requestedAt: string }
>;
export type EmailVerified = Event<'EmailVerified', { userId: string; email: string; verifiedAt: string }>;
export type UserEvent =
  | UserRegistered
  | SessionStarted
  | SessionEnded
  | OidcIdentityLinked
  | EmailChanged
  | PasswordChanged
  | EmailVerificationRequested
  | EmailVerified;

/** Email verification tokens: `ev_<userId without dashes>_<secret>`; only sha256(secret) is stored. */
export const EMAIL_TOKEN_PATTERN = /^ev_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
export const EMAIL_TOKEN_TTL_SECONDS = 86400;

/** Fields that never leave the identity service (stripped from public events). */
export const PRIVATE_EVENT_FIELDS = ['passwordHash', 'secretHash', 'tokenHash'] as const;

// Requests -------------------------------------------------------------------
export interface RegisterRequest {
  username: string;
  email: string;
  password: string;
  /** Needed when registration is by invitation (`SLIPWAY_REGISTRATION=invite`). */
  invitationToken?: string;
}
export interface LoginRequest {
  /** Username or email. */
  username: string;
  password: string;
  sessionTtlSeconds: number;
}
export interface LoginResponse {
  user: UserView;
  sessionId: string;
  expiresAt: string;
}
/** Claims the gateway verified from a provider's ID token (signature, issuer, audience, nonce). */
export interface OidcLoginRequest {
  provider: string;
  issuer: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  /** Preferred username or name, used to derive a username for a new account. */
  name?: string;
  sessionTtlSeconds: number;
}
export interface LogoutRequest {
  userId: string;
  sessionId: string;
}
export interface RevokedSessionsResponse {
  sessions: Array<{ sessionId: string; expiresAt: string }>;
}
export interface EnsureOwnerRequest {
  username: string;
  email: string;
  /** Generated when absent; returned once. */
  password?: string;
}
export interface EnsureOwnerResponse {
  created: boolean;
  user?: UserView;
  password?: string;
}

export interface UpdateMeRequest {
  userId: string;
  /** The session asking: it survives a password change, every other one ends. */
  sessionId: string | null;
  email?: string;
  password?: string;
  currentPassword?: string;
}
export interface UpdateMeResponse {
  user: UserView;
  /** Sessions a password change ended (gateways refuse their tokens). */
  endedSessions: Array<{ sessionId: string; expiresAt: string }>;
}
/** What the login throttle counts under: the account an identifier names, however it is typed. */
export interface LoginAccountResponse {
  /** `user:<id>` for an existing account, else `name:<identifier lower-cased>`. */
  accountKey: string;
}
export interface SessionView {
  sessionId: string;
  userId: string;
  expiresAt: string;
  ended: boolean;
}

export interface CreateTeamRequest {
  actorId: string;
  name: string;
  description?: string | null;
}
export interface TeamMemberRequest {
  teamId: string;
  userId: string;
  role: AssignableRole;
}
export interface CreateApiKeyRequest {
  userId: string;
  teamId: string;
  name: string;
  expiresAt: string | null;
  projectIds: string[] | null;
  permission: ApiKeyPermission;
}
export interface CreateApiKeyResponse {
  /** The whole key: shown once, never stored. */
  key: string;
  apiKey: ApiKeyView;
}

/** Everything the gateway keeps in memory to authorize without a round trip. */
export interface AccessSnapshot {
  /** Identity's event position the snapshot reflects; later events apply on top. */
  position: number;
  teams: Array<{ teamId: string; name: string; personal: boolean; ownerId: string; members: Array<{ userId: string; role: TeamRole }> }>;
  keys: ApiKeyRecord[];
  revokedSessions: Array<{ sessionId: string; expiresAt: string }>;
  /** The installation's owner(s) (`instanceOwner`): platform administrators. Absent from older identity services. */
  instanceOwners?: string[];
}

export interface AuditEntry {
  id: string;
  occurredAt: string;
  actor: { type: 'user' | 'apiKey' | 'system'; id: string | null; keyId: string | null };
  action: string;
  resource: { type: string; id: string | null };
  teamId: string | null;
  projectId: string | null;
  sourceIp: string | null;
  requestId: string | null;
  outcome: 'success' | 'denied' | 'failed';
  details: Record<string, unknown>;
}
export interface AuditQuery {
  teamIds: string[];
  limit: number;
  cursor?: string;
  projectId?: string;
  actorId?: string;
  action?: string;
}

export const IdentityApi = {
  register: defineRequest<RegisterRequest, UserView>(IDENTITY_SERVICE, 'identity.cmd.register'),
  login: defineRequest<LoginRequest, LoginResponse>(IDENTITY_SERVICE, 'identity.cmd.login'),
  logout: defineRequest<LogoutRequest, { sessionId: string }>(IDENTITY_SERVICE, 'identity.cmd.logout'),
  /** Logs in by a verified OIDC identity: finds the linked user, links by verified email, or creates one. */
  oidcLogin: defineRequest<OidcLoginRequest, LoginResponse>(IDENTITY_SERVICE, 'identity.cmd.oidc-login'),
  ensureOwner: defineRequest<EnsureOwnerRequest, EnsureOwnerResponse>(IDENTITY_SERVICE, 'identity.cmd.ensure-owner'),
  me: defineRequest<{ userId: string }, UserView>(IDENTITY_SERVICE, 'identity.query.me'),
  revokedSessions: defineRequest<Record<string, never>, RevokedSessionsResponse>(IDENTITY_SERVICE, 'identity.query.revoked-sessions'),
  health: defineRequest<Record<string, never>, HealthResponse>(IDENTITY_SERVICE, 'identity.query.health'),
  updateMe: defineRequest<UpdateMeRequest, UpdateMeResponse>(IDENTITY_SERVICE, 'identity.cmd.update-me'),
  loginAccount: defineRequest<{ identifier: string }, LoginAccountResponse>(IDENTITY_SERVICE, 'identity.query.login-account'),
  /** A session by id (RESOURCE_NOT_FOUND when there is none): gateways check unknown `sid`s once. */
  session: defineRequest<{ sessionId: string }, SessionView>(IDENTITY_SERVICE, 'identity.query.session'),
  createInvitation: defineRequest<CreateInvitationRequest, CreateInvitationResponse>(IDENTITY_SERVICE, 'identity.cmd.create-invitation'),
  listInvitations: defineRequest<{ actorId: string }, { data: InvitationView[] }>(IDENTITY_SERVICE, 'identity.query.invitations'),
  revokeInvitation: defineRequest<{ actorId: string; invitationId: string }, InvitationView>(IDENTITY_SERVICE, 'identity.cmd.revoke-invitation'),
  /** Sends (today: logs, see the README) a single-use link proving the user's current email. */
  requestEmailVerification: defineRequest<{ userId: string }, { email: string; expiresAt: string }>(IDENTITY_SERVICE, 'identity.cmd.request-email-verification'),
  verifyEmail: defineRequest<{ token: string }, UserView>(IDENTITY_SERVICE, 'identity.cmd.verify-email'),
  createTeam: defineRequest<CreateTeamRequest, TeamView>(IDENTITY_SERVICE, 'identity.cmd.create-team'),
  addMember: defineRequest<TeamMemberRequest, TeamMemberView>(IDENTITY_SERVICE, 'identity.cmd.add-member'),
  changeMemberRole: defineRequest<TeamMemberRequest, TeamMemberView>(IDENTITY_SERVICE, 'identity.cmd.change-member-role'),
  removeMember: defineRequest<{ teamId: string; userId: string }, { teamId: string; userId: string }>(IDENTITY_SERVICE, 'identity.cmd.remove-member'),
  listTeams: defineRequest<{ userId: string }, { data: TeamView[] }>(IDENTITY_SERVICE, 'identity.query.teams'),
  teamMembers: defineRequest<{ teamId: string }, { data: TeamMemberView[] }>(IDENTITY_SERVICE, 'identity.query.team-members'),
  createApiKey: defineRequest<CreateApiKeyRequest, CreateApiKeyResponse>(IDENTITY_SERVICE, 'identity.cmd.create-api-key'),
  revokeApiKey: defineRequest<{ keyId: string }, { keyId: string }>(IDENTITY_SERVICE, 'identity.cmd.revoke-api-key'),
  recordApiKeyUse: defineRequest<{ uses: Array<{ keyId: string; usedAt: string }> }, { recorded: number }>(IDENTITY_SERVICE, 'identity.cmd.record-api-key-use'),
  listApiKeys: defineRequest<{ userId: string; teamIds: string[] }, { data: ApiKeyView[] }>(IDENTITY_SERVICE, 'identity.query.api-keys'),
  apiKey: defineRequest<{ keyId: string }, ApiKeyRecord & { name: string }>(IDENTITY_SERVICE, 'identity.query.api-key'),
  accessSnapshot: defineRequest<Record<string, never>, AccessSnapshot>(IDENTITY_SERVICE, 'identity.query.access-snapshot'),
  audit: defineRequest<AuditQuery, Page<AuditEntry>>(IDENTITY_SERVICE, 'identity.query.audit'),
} as const;

/** Gateways subscribe to this (core NATS) to drop revoked sessions at once. */
export const SESSION_ENDED_SUBJECT = 'slipway.events.identity.SessionEnded';
/** Gateways follow every identity event to keep their access model current. */
export const IDENTITY_EVENTS_SUBJECT = 'slipway.events.identity.>';
