import type { EnvironmentCreated, EnvironmentDeleted, EnvironmentUpdated } from './environments';
import type { ProjectCreated, ProjectDeleted, ProjectUpdated } from './events';

/**
 * The `data` of each public projects event as subscribers receive it (source
 * of the AsyncAPI schemas). Nothing is stripped; ProjectCreated is published
 * at its current version (v2, with defaultEnvironment: the store upcasts v1).
 */
export interface ProjectsPublicEventData {
  ProjectCreated: ProjectCreated['data'];
  ProjectUpdated: ProjectUpdated['data'];
  ProjectDeleted: ProjectDeleted['data'];
  EnvironmentCreated: EnvironmentCreated['data'];
  EnvironmentUpdated: EnvironmentUpdated['data'];
  EnvironmentDeleted: EnvironmentDeleted['data'];
}
