import type { Event } from '@slipway/core';
import { ENVIRONMENT_EVENT_TYPES, type DefaultEnvironment, type EnvironmentEvent } from './environments';

export type ProjectCreated = Event<
  'ProjectCreated',
  {
    projectId: string;
    name: string;
    description: string | null;
    ownerId: string;
    teamId: string;
    createdAt: string;
    /** Schema v2: the project's default environment, made with it (v1 events get it from the upcaster). */
    defaultEnvironment: DefaultEnvironment;
  }
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

export type ProjectEvent = ProjectCreated | ProjectUpdated | ProjectDeleted | EnvironmentEvent;

export const PROJECT_EVENT_TYPES = ['ProjectCreated', 'ProjectUpdated', 'ProjectDeleted', ...ENVIRONMENT_EVENT_TYPES] as const;
