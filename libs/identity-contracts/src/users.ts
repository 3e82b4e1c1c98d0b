import type { Command, Event, HealthResponse, Page } from '@slipway/core';
import type { ApiKeyPermission, AssignableRole, TeamRole } from './access';
import type { ApiKeyRecord, ApiKeyView } from './api-keys';
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
  roles: Role[];
  /** The user's personal team, where their projects go by default. */
  teamId: string;
  createdAt: string;
}

export const userStreamId = (userId: string): string => `user-${userId}`;

// Commands -------------------------------------------------------------------
export type RegisterUser = Command<
  'RegisterUser',
  { userId: string; username: string; email: string; passwordHash: string; roles: Role[]; teamId: string }
>;
export type StartSession = Command<'StartSession', { userId: string; sessionId: string; expiresAt: string }>;
export type EndSession = Command<'EndSession', { userId: string; sessionId: string }>;
export type ChangeEmail = Command<'ChangeEmail', { userId: string; email: string }>;
export type ChangePassword = Command<'ChangePassword', { userId: string; passwordHash: string }>;
export type LinkOidcIdentity = Command<'LinkOidcIdentity', { userId: string; provider: string; issuer: string; subject: string }>;
export type UserCommand = RegisterUser | StartSession | EndSession | LinkOidcIdentity | ChangeEmail | ChangePassword;

// Events ---------------------------------------------------------------------
export type UserRegistered = Event<
  'UserRegistered',
  { userId: string; username: string; email: string; passwordHash: string; roles: Role[]; teamId: string; registeredAt: string }
>;
export type SessionStarted = Event<'SessionStarted', { userId: string; sessionId: string; expiresAt: string; startedAt: string }>;
export type SessionEnded = Event<'SessionEnded', { userId: string; sessionId: string; expiresAt: string; endedAt: string }>;
export type OidcIdentityLinked = Event<
  'OidcIdentityLinked',
  { userId: string; provider: string; issuer: string; subject: string; linkedAt: string }
>;
export type EmailChanged = Event<'EmailChanged', { userId: string; email: string; previousEmail: string; changedAt: string }>;
export type PasswordChanged = Event<'PasswordChanged', { userId: string; passwordHash: string; changedAt: string }>;
export type UserEvent = UserRegistered | SessionStarted | SessionEnded | OidcIdentityLinked | EmailChanged | PasswordChanged;

/** Fields that never leave the identity service (stripped from public events). */
export const PRIVATE_EVENT_FIELDS = ['passwordHash', 'secretHash'] as const;

// Requests -------------------------------------------------------------------
export interface RegisterRequest {
  username: string;
  email: string;
  password: string;
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
  email?: string;
  password?: string;
  currentPassword?: string;
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
  updateMe: defineRequest<UpdateMeRequest, UserView>(IDENTITY_SERVICE, 'identity.cmd.update-me'),
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
