import type { Command, Event } from '@slipway/core';
import type { ApiKeyPermission } from './access';

export const apiKeyStreamId = (keyId: string): string => `apikey-${keyId}`;

/** Keys look like `slw_<keyId without dashes>_<secret>`; only sha256(secret) is stored. */
export const API_KEY_PATTERN = /^slw_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export type CreateApiKey = Command<
  'CreateApiKey',
  {
    keyId: string;
    userId: string;
    teamId: string;
    name: string;
    prefix: string;
    secretHash: string;
    projectIds: string[] | null;
    permission: ApiKeyPermission;
    expiresAt: string | null;
  }
>;
export type RevokeApiKey = Command<'RevokeApiKey', { keyId: string }>;
export type RecordApiKeyUse = Command<'RecordApiKeyUse', { keyId: string; usedAt: string }>;
export type ApiKeyCommand = CreateApiKey | RevokeApiKey | RecordApiKeyUse;

export type ApiKeyCreated = Event<
  'ApiKeyCreated',
  {
    keyId: string;
    userId: string;
    teamId: string;
    name: string;
    prefix: string;
    secretHash: string;
    projectIds: string[] | null;
    permission: ApiKeyPermission;
    expiresAt: string | null;
    createdAt: string;
  }
>;
export type ApiKeyRevoked = Event<'ApiKeyRevoked', { keyId: string; userId: string; teamId: string; revokedAt: string }>;
export type ApiKeyUsed = Event<'ApiKeyUsed', { keyId: string; usedAt: string }>;
export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked | ApiKeyUsed;

export interface ApiKeyView {
  id: string;
  name: string;
  /** The visible start of the key, e.g. `slw_3f2a91c0…`, to recognise it. */
  prefix: string;
  teamId: string;
  projectIds: string[] | null;
  permission: ApiKeyPermission;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

/** What the gateway holds in memory to check a key without a database round trip. */
export interface ApiKeyRecord {
  keyId: string;
  userId: string;
  teamId: string;
  secretHash: string;
  projectIds: string[] | null;
  permission: ApiKeyPermission;
  expiresAt: string | null;
  revokedAt: string | null;
}
