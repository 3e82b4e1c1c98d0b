export * from './types';
export { EventStore, type EventStoreOpenOptions, type ReadStreamOptions } from './event-store';
export { createDataSource, type CreateDataSourceOptions } from './data-source';
export { WrongExpectedVersionError, IdempotencyKeyReusedError, ReservationTakenError, expectedVersionMatches, isValidExpectedVersion } from './errors';
export {
  handleCommand,
  DEFAULT_MAX_RETRIES,
  type CommandStore,
  type HandleCommandOptions,
  type HandleCommandResult,
} from './command-handler';
export {
  ProjectionRunner,
  rebuildProjection,
  initProjection,
  processProjectionBatch,
  projectionTable,
  DEFAULT_BATCH_SIZE,
  DEFAULT_POLL_INTERVAL_MS,
  type ProjectionRunnerOptions,
  type BatchResult,
} from './projection-runner';
export { UpcasterChain } from './upcasting';
export { migrate, LATEST_MIGRATION, NewerStoreError } from './migrations';
export { quoteIdent, assertSchemaName, isValidSchemaName, SCHEMA_NAME_PATTERN, eventsChannel } from './sql';
export { keysetPage, type KeysetQuery, type Queryable } from './keyset-page';
