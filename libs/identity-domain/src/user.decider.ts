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
      if (state.email.toLowerCase() === command.data.email.toLowerCase() && state.email === command.data.email) return [];
      return [{ type: 'EmailChanged', data: { ...command.data, previousEmail: state.email, changedAt: now } }];
    }
    case 'ChangePassword':
      if (state.status !== 'active') throw new AppError('INVALID_TOKEN', 'The account does not exist');
      return [{ type: 'PasswordChanged', data: { ...command.data, changedAt: now } }];
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
      return { status: 'active', userId: event.data.userId, roles: event.data.roles, sessions: {}, identities: [], email: event.data.email };
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
      return { ...state, email: event.data.email };
    case 'PasswordChanged':
      return state;
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
