import type { Command, Event } from '@slipway/core';
import type { AssignableRole } from './access';

/**
 * Who may create an account (`SLIPWAY_REGISTRATION`): anyone (`open`), only
 * with an invitation (`invite`), or nobody (`closed`). Unset: open until the
 * first account (the installation's owner) exists, then `invite`.
 */
export const REGISTRATION_MODES = ['open', 'invite', 'closed'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

export const invitationStreamId = (invitationId: string): string => `invitation-${invitationId}`;

/** Invitation tokens look like `inv_<invitationId without dashes>_<secret>`; only sha256(secret) is stored. */
export const INVITATION_TOKEN_PATTERN = /^inv_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
export const INVITATION_MAX_TTL_SECONDS = 30 * 86400;
export const INVITATION_DEFAULT_TTL_SECONDS = 7 * 86400;

export type CreateInvitation = Command<
  'CreateInvitation',
  {
    invitationId: string;
    tokenHash: string;
    /** When set, only this address can register with the invitation. */
    email: string | null;
    /** When set, the new account joins this team with `role`. */
    teamId: string | null;
    role: AssignableRole | null;
    invitedBy: string;
    expiresAt: string;
  }
>;
/**
 * `tokenHash` of the token presented; null when no token is presented but the
 * email is proved otherwise (an OIDC provider verified it): that accepts only
 * an invitation bound to that email.
 */
export type AcceptInvitation = Command<'AcceptInvitation', { invitationId: string; tokenHash: string | null; userId: string; email: string }>;
/** Gives an accepted invitation back when the registration it was accepted for failed (username taken). */
export type ReleaseInvitation = Command<'ReleaseInvitation', { invitationId: string; userId: string }>;
export type RevokeInvitation = Command<'RevokeInvitation', { invitationId: string }>;
export type InvitationCommand = CreateInvitation | AcceptInvitation | ReleaseInvitation | RevokeInvitation;

export type InvitationCreated = Event<
  'InvitationCreated',
  {
    invitationId: string;
    tokenHash: string;
    email: string | null;
    teamId: string | null;
    role: AssignableRole | null;
    invitedBy: string;
    expiresAt: string;
    createdAt: string;
  }
>;
export type InvitationAccepted = Event<'InvitationAccepted', { invitationId: string; userId: string; acceptedAt: string }>;
export type InvitationReleased = Event<'InvitationReleased', { invitationId: string; userId: string; releasedAt: string }>;
export type InvitationRevoked = Event<'InvitationRevoked', { invitationId: string; revokedAt: string }>;
export type InvitationEvent = InvitationCreated | InvitationAccepted | InvitationReleased | InvitationRevoked;

export interface CreateInvitationRequest {
  actorId: string;
  email: string | null;
  teamId: string | null;
  role: AssignableRole | null;
  expiresInSeconds: number;
}
export interface InvitationView {
  id: string;
  status?: 'open' | 'accepted' | 'revoked' | 'expired';
  email: string | null;
  teamId: string | null;
  role: AssignableRole | null;
  expiresAt: string;
  createdAt: string;
}
export interface CreateInvitationResponse {
  /** The whole token: shown once, never stored. */
  token: string;
  invitation: InvitationView;
}
