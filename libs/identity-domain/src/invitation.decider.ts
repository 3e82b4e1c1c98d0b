import { AppError, assertNever, type Decider } from '@slipway/core';
import type { AssignableRole, InvitationCommand, InvitationEvent } from '@slipway/identity-contracts';

export type InvitationState =
  | { status: 'absent' }
  | {
      status: 'open' | 'accepted' | 'revoked';
      invitationId: string;
      tokenHash: string;
      email: string | null;
      teamId: string | null;
      role: AssignableRole | null;
      expiresAt: string;
      acceptedBy: string | null;
    };

export const initialInvitationState = (): InvitationState => ({ status: 'absent' });

const refuse = (message: string) => new AppError('FORBIDDEN', message, { field: 'invitationToken' });

export function decideInvitation(command: InvitationCommand, state: InvitationState): InvitationEvent[] {
  const { now } = command.metadata;
  switch (command.type) {
    case 'CreateInvitation':
      if (state.status !== 'absent') throw AppError.conflict('Invitation already exists');
      return [{ type: 'InvitationCreated', data: { ...command.data, createdAt: now } }];
    case 'AcceptInvitation': {
      // The same answer for an unknown id and a wrong secret: a guess learns nothing.
      const byProvedEmail = command.data.tokenHash === null;
      if (state.status === 'absent' || (byProvedEmail ? state.email === null : state.tokenHash !== command.data.tokenHash)) {
        throw refuse('The invitation token is not valid; ask an administrator for a new invitation');
      }
      if (state.status === 'revoked') throw refuse('The invitation was withdrawn; ask an administrator for a new one');
      if (state.status === 'accepted') {
        if (state.acceptedBy === command.data.userId) return [];
        throw refuse('The invitation was already used; ask an administrator for a new one');
      }
      if (state.expiresAt <= now) throw refuse(`The invitation expired at ${state.expiresAt}; ask an administrator for a new one`);
      if (state.email !== null && state.email.toLowerCase() !== command.data.email.toLowerCase()) {
        throw refuse('The invitation is for another email address; register with the address it was sent to');
      }
      return [{ type: 'InvitationAccepted', data: { invitationId: state.invitationId, userId: command.data.userId, acceptedAt: now } }];
    }
    case 'ReleaseInvitation':
      if (state.status !== 'accepted' || state.acceptedBy !== command.data.userId) return [];
      return [{ type: 'InvitationReleased', data: { ...command.data, releasedAt: now } }];
    case 'RevokeInvitation':
      if (state.status === 'absent') throw AppError.notFound('invitation', command.data.invitationId);
      if (state.status === 'accepted') throw AppError.conflict('The invitation was already used; it cannot be withdrawn');
      if (state.status === 'revoked') return [];
      return [{ type: 'InvitationRevoked', data: { invitationId: state.invitationId, revokedAt: now } }];
    default:
      return assertNever(command, 'command');
  }
}

export function evolveInvitation(state: InvitationState, event: InvitationEvent): InvitationState {
  switch (event.type) {
    case 'InvitationCreated': {
      const d = event.data;
      return {
        status: 'open',
        invitationId: d.invitationId,
        tokenHash: d.tokenHash,
        email: d.email,
        teamId: d.teamId,
        role: d.role,
        expiresAt: d.expiresAt,
        acceptedBy: null,
      };
    }
    case 'InvitationAccepted':
      if (state.status === 'absent') return state;
      return { ...state, status: 'accepted', acceptedBy: event.data.userId };
    case 'InvitationReleased':
      if (state.status === 'absent') return state;
      return { ...state, status: 'open', acceptedBy: null };
    case 'InvitationRevoked':
      if (state.status === 'absent') return state;
      return { ...state, status: 'revoked' };
    default:
      return assertNever(event, 'event');
  }
}

export const invitationDecider: Decider<InvitationCommand, InvitationEvent, InvitationState> = {
  decide: decideInvitation,
  evolve: evolveInvitation,
  initialState: initialInvitationState,
};
