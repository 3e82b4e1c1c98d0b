import type { Command, Event, Page } from '@slipway/core';
import { defineRequest } from '@slipway/messaging';
import type { AccessScope } from './requests';

export const DESTINATION_TYPES = ['local', 's3'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];
/** The built-in destination: SLIPWAY_BACKUP_DIR itself, open to every team. */
export const LOCAL_DESTINATION_ID = 'local';
export const destinationStreamId = (destinationId: string): string => `destination-${destinationId}`;

/** A directory under SLIPWAY_BACKUP_DIR (relative, never outside it). */
export interface LocalDestinationConfig {
  path: string;
}

/** Any S3-compatible store (AWS S3, MinIO, R2, Backblaze B2). */
export interface S3DestinationConfig {
  /** Empty: AWS's own endpoint for the region. */
  endpoint: string | null;
  bucket: string;
  region: string;
  /** Prepended to every object key, e.g. "slipway/". */
  prefix: string;
  /** Path-style URLs (MinIO, most self-hosted stores); virtual-hosted when false. */
  forcePathStyle: boolean;
  accessKeyId: string;
}

export type DestinationConfig = { type: 'local'; local: LocalDestinationConfig } | { type: 's3'; s3: S3DestinationConfig };

export interface DestinationView {
  id: string;
  teamId: string | null;
  name: string;
  type: DestinationType;
  builtIn: boolean;
  local: LocalDestinationConfig | null;
  /** The secret access key is write-only: only whether it is set shows. */
  s3: (S3DestinationConfig & { secretAccessKeySet: boolean }) | null;
  createdAt: string | null;
  updatedAt: string | null;
  version: number;
}

// ------------------------------------------------------------ destination-<uuid>

export type DestinationCreated = Event<
  'DestinationCreated',
  {
    destinationId: string;
    teamId: string;
    name: string;
    config: DestinationConfig;
    /** SecretBox ciphertext of the S3 secret access key; never in public events. */
    secret: string | null;
    createdAt: string;
  }
>;
export type DestinationUpdated = Event<
  'DestinationUpdated',
  { destinationId: string; name: string; config: DestinationConfig; secret: string | null; updatedAt: string }
>;
export type DestinationDeleted = Event<'DestinationDeleted', { destinationId: string; teamId: string; deletedAt: string }>;
export type DestinationEvent = DestinationCreated | DestinationUpdated | DestinationDeleted;
export const DESTINATION_EVENT_TYPES = ['DestinationCreated', 'DestinationUpdated', 'DestinationDeleted'] as const satisfies ReadonlyArray<DestinationEvent['type']>;

export type CreateDestination = Command<'CreateDestination', Omit<DestinationCreated['data'], 'createdAt'>>;
export type UpdateDestination = Command<'UpdateDestination', Omit<DestinationUpdated['data'], 'updatedAt'>>;
export type DeleteDestination = Command<'DeleteDestination', { destinationId: string }>;
export type DestinationCommand = CreateDestination | UpdateDestination | DeleteDestination;

// ------------------------------------------------------------ requests

export interface DestinationInput {
  name?: string;
  type?: DestinationType;
  path?: string;
  endpoint?: string | null;
  bucket?: string;
  region?: string;
  prefix?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
}

export interface CreateDestinationRequest extends DestinationInput {
  actorId: string;
  /** The gateway checked the caller may back up databases in this team. */
  teamId: string;
}

export interface DestinationRef {
  scope: AccessScope;
  destinationId: string;
}

export interface UpdateDestinationRequest extends DestinationRef, DestinationInput {
  actorId: string;
  expectedVersion?: number;
}

export interface DeleteDestinationRequest extends DestinationRef {
  actorId: string;
}

export interface ListDestinationsRequest {
  scope: AccessScope;
}

/** What the probe did: each step in order, the first failure with the store's own message. */
export interface DestinationTestResult {
  ok: boolean;
  steps: Array<{ step: 'write' | 'read' | 'delete'; ok: boolean; error?: string }>;
  message: string;
}

export const DestinationsApi = {
  create: defineRequest<CreateDestinationRequest, DestinationView>('databases', 'databases.cmd.create-destination'),
  update: defineRequest<UpdateDestinationRequest, DestinationView>('databases', 'databases.cmd.update-destination'),
  delete: defineRequest<DeleteDestinationRequest, { destinationId: string }>('databases', 'databases.cmd.delete-destination'),
  test: defineRequest<DestinationRef, DestinationTestResult>('databases', 'databases.cmd.test-destination'),
  get: defineRequest<DestinationRef, DestinationView>('databases', 'databases.query.get-destination'),
  list: defineRequest<ListDestinationsRequest, Page<DestinationView>>('databases', 'databases.query.list-destinations'),
} as const;
