import type { Command } from '@slipway/core';
import type { EnvironmentCommand } from './environments';

export type CreateProject = Command<
  'CreateProject',
  { projectId: string; name: string; description: string | null; ownerId: string; teamId: string }
>;

/** Only the fields present change; `description: null` clears it. */
export type UpdateProject = Command<
  'UpdateProject',
  { projectId: string; name?: string; description?: string | null; teamId?: string }
>;

export type DeleteProject = Command<'DeleteProject', { projectId: string }>;

export type ProjectCommand = CreateProject | UpdateProject | DeleteProject | EnvironmentCommand;
