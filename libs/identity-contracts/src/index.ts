import type { Command, Event, HealthResponse } from '@slipway/core';
import { defineRequest } from '@slipway/messaging';

export const IDENTITY_SERVICE = 'identity';

/** Usernames: 3–32 characters, letters, digits, dot, underscore, hyphen; unique case-insensitively. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,30}[A-Za-z0-9]$/;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 200;
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

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
export type LinkOidcIdentity = Command<'LinkOidcIdentity', { userId: string; provider: string; issuer: string; subject: string }>;
export type UserCommand = RegisterUser | StartSession | EndSession | LinkOidcIdentity;

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
export type UserEvent = UserRegistered | SessionStarted | SessionEnded | OidcIdentityLinked;

/** Fields that never leave the identity service (stripped from public events). */
export const PRIVATE_EVENT_FIELDS = ['passwordHash'] as const;

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
} as const;

/** Gateways subscribe to this (core NATS) to drop revoked sessions at once. */
export const SESSION_ENDED_SUBJECT = 'slipway.events.identity.SessionEnded';
