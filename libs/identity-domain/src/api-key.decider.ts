import { AppError, assertNever, type Decider } from '@slipway/core';
import type { ApiKeyCommand, ApiKeyEvent } from '@slipway/identity-contracts';

export type ApiKeyState =
  | { status: 'absent' }
  | { status: 'active' | 'revoked'; keyId: string; userId: string; teamId: string; lastUsedAt: string | null };

export const initialApiKeyState = (): ApiKeyState => ({ status: 'absent' });

/** Use is recorded at most once a minute per key: enough for "last used", not a write per request. */
const USE_RESOLUTION_MS = 60_000;

export function decideApiKey(command: ApiKeyCommand, state: ApiKeyState): ApiKeyEvent[] {
  const { now } = command.metadata;
  switch (command.type) {
    case 'CreateApiKey': {
      if (state.status !== 'absent') throw AppError.conflict('API key already exists');
      const { expiresAt } = command.data;
      if (expiresAt !== null && Date.parse(expiresAt) <= Date.parse(now)) {
        throw AppError.validation([{ field: 'expiresAt', message: 'expiresAt must be in the future (or null for a key that never expires)', constraint: 'future', received: expiresAt }]);
      }
      return [{ type: 'ApiKeyCreated', data: { ...command.data, createdAt: now } }];
    }
    case 'RevokeApiKey':
      if (state.status === 'absent') throw AppError.notFound('apiKey', command.data.keyId);
      if (state.status === 'revoked') return [];
      return [{ type: 'ApiKeyRevoked', data: { keyId: state.keyId, userId: state.userId, teamId: state.teamId, revokedAt: now } }];
    case 'RecordApiKeyUse':
      if (state.status !== 'active') return [];
      if (state.lastUsedAt && Date.parse(command.data.usedAt) - Date.parse(state.lastUsedAt) < USE_RESOLUTION_MS) return [];
      return [{ type: 'ApiKeyUsed', data: command.data }];
    default:
      return assertNever(command, 'command');
  }
}

export function evolveApiKey(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
  switch (event.type) {
    case 'ApiKeyCreated':
      return { status: 'active', keyId: event.data.keyId, userId: event.data.userId, teamId: event.data.teamId, lastUsedAt: null };
    case 'ApiKeyRevoked':
      return state.status === 'absent' ? state : { ...state, status: 'revoked' };
    case 'ApiKeyUsed':
      return state.status === 'absent' ? state : { ...state, lastUsedAt: event.data.usedAt };
    default:
      return assertNever(event, 'event');
  }
}

export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyEvent, ApiKeyState> = {
  decide: decideApiKey,
  evolve: evolveApiKey,
  initialState: initialApiKeyState,
};
