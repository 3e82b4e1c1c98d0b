export { ProjectQueryModel, type ModelEvent } from './project-query-model';
export { STATISTICS_EVENTS, STATISTICS_SERVICES } from './statistics';
