import { AppError, assertNever, type Decider } from '@slipway/core';
import type { Role, UserCommand, UserEvent } from '@slipway/identity-contracts';

export type UserState =
  | { status: 'absent' }
  | {
      status: 'active';
      userId: string;
      roles: Role[];
      sessions: Record<string, string /* expiresAt */>;
      /** `${provider}|${subject}` of linked OIDC identities. */
      identities: string[];
      email: string;
      emailVerified: boolean;
      /** The outstanding verification of `email`, if one was requested. */
      verification: { tokenHash: string; expiresAt: string } | null;
    };

export const initialUserState = (): UserState => ({ status: 'absent' });

export function decideUser(command: UserCommand, state: UserState): UserEvent[] {
  const { now } = command.metadata;
  switch (command.type) {
    case 'RegisterUser':
      if (state.status !== 'absent') throw AppError.conflict('User already exists');
      return [{ type: 'UserRegistered', data: { ...command.data, registeredAt: now } }];
    case 'StartSession':
      if (state.status !== 'active') throw new AppError('UNAUTHORIZED', 'Invalid username or password');
      return [{ type: 'SessionStarted', data: { ...command.data, startedAt: now } }];
    case 'EndSession': {
      if (state.status !== 'active') throw new AppError('INVALID_TOKEN', 'The session is not valid');
      const expiresAt = state.sessions[command.data.sessionId];
      // Ending an unknown or already ended session is a no-op: logout is idempotent.
      if (!expiresAt) return [];
      return [{ type: 'SessionEnded', data: { ...command.data, expiresAt, endedAt: now } }];
    }
    case 'ChangeEmail': {
      if (state.status !== 'active') throw new AppError('INVALID_TOKEN', 'The account does not exist');
      if (state.email === command.data.email) return [];
      return [{ type: 'EmailChanged', data: { ...command.data, previousEmail: state.email, changedAt: now } }];
    }
    case 'ChangePassword': {
      if (state.status !== 'active') throw new AppError('INVALID_TOKEN', 'The account does not exist');
      const { keepSessionId, ...data } = command.data;
      // Whoever knew the old password may hold a session: every other live one ends with it.
      const ended: UserEvent[] = Object.entries(state.sessions)
        .filter(([sessionId, expiresAt]) => sessionId !== keepSessionId && expiresAt > now)
        .map(([sessionId, expiresAt]) => ({ type: 'SessionEnded', data: { userId: state.userId, sessionId, expiresAt, endedAt: now } }));
      return [{ type: 'PasswordChanged', data: { ...data, changedAt: now } }, ...ended];
    }
    case 'RequestEmailVerification':
      if (state.status !== 'active') throw new AppError('INVALID_TOKEN', 'The account does not exist');
      if (state.emailVerified) throw AppError.conflict('The email is already verified', { email: state.email });
      return [{ type: 'EmailVerificationRequested', data: { ...command.data, email: state.email, requestedAt: now } }];
    case 'VerifyEmail': {
      const v = state.status === 'active' ? state.verification : null;
      if (state.status !== 'active' || !v || v.tokenHash !== command.data.tokenHash || v.expiresAt <= now) {
        throw new AppError('INVALID_INPUT', 'The verification token is not valid or has expired; ask for a new one with POST /api/users/me/email-verification', {
          field: 'token',
        });
      }
      return [{ type: 'EmailVerified', data: { userId: state.userId, email: state.email, verifiedAt: now } }];
    }
    case 'LinkOidcIdentity': {
      if (state.status !== 'active') throw new AppError('UNAUTHORIZED', 'The account does not exist');
      const key = `${command.data.provider}|${command.data.subject}`;
      if (state.identities.includes(key)) return [];
      return [{ type: 'OidcIdentityLinked', data: { ...command.data, linkedAt: now } }];
    }
    default:
      return assertNever(command, 'command');
  }
}

export function evolveUser(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return {
        status: 'active',
        userId: event.data.userId,
        roles: event.data.roles,
        sessions: {},
        identities: [],
        email: event.data.email,
        emailVerified: event.data.emailVerified ?? false,
        verification: null,
      };
    case 'SessionStarted':
      if (state.status !== 'active') return state;
      return { ...state, sessions: { ...state.sessions, [event.data.sessionId]: event.data.expiresAt } };
    case 'SessionEnded': {
      if (state.status !== 'active') return state;
      const { [event.data.sessionId]: _ended, ...rest } = state.sessions;
      return { ...state, sessions: rest };
    }
    case 'EmailChanged':
      if (state.status !== 'active') return state;
      // A new address is unproved, and a token sent to the old one no longer proves anything.
      return { ...state, email: event.data.email, emailVerified: false, verification: null };
    case 'PasswordChanged':
      return state;
    case 'EmailVerificationRequested':
      if (state.status !== 'active') return state;
      return { ...state, verification: { tokenHash: event.data.tokenHash, expiresAt: event.data.expiresAt } };
    case 'EmailVerified':
      if (state.status !== 'active') return state;
      return { ...state, emailVerified: true, verification: null };
    case 'OidcIdentityLinked':
      if (state.status !== 'active') return state;
      return { ...state, identities: [...state.identities, `${event.data.provider}|${event.data.subject}`] };
    default:
      return assertNever(event, 'event');
  }
}

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  decide: decideUser,
  evolve: evolveUser,
  initialState: initialUserState,
};
