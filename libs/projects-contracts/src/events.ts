import type { Event } from '@slipway/core';

export type ProjectCreated = Event<
  'ProjectCreated',
  { projectId: string; name: string; description: string | null; ownerId: string; teamId: string; createdAt: string }
>;

export type ProjectUpdated = Event<
  'ProjectUpdated',
  {
    projectId: string;
    changes: { name?: string; description?: string | null; teamId?: string };
    updatedAt: string;
  }
>;

export type ProjectDeleted = Event<'ProjectDeleted', { projectId: string; ownerId: string; deletedAt: string }>;

export type ProjectEvent = ProjectCreated | ProjectUpdated | ProjectDeleted;

export const PROJECT_EVENT_TYPES = ['ProjectCreated', 'ProjectUpdated', 'ProjectDeleted'] as const;
