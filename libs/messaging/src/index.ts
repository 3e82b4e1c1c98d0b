export * from './instance';
export * from './contract';
export * from './transport-errors';
export * from './bus';
export * from './service-client';
export * from './events-stream';
export * from './outbox';
export { EventStoreOutboxSource, PgAdvisoryLock, outboxLockKey, type EventStoreLike } from './event-store-source';
export * from './subscribe';
export * from './well-formed';
export * from './dead-letters';
/** For tests: cut a process off from NATS or PostgreSQL without stopping the shared server. */
export { TcpProxy } from './test-support/tcp-proxy';
export { followEvents, type FollowEventsOptions, type EventFollower } from './follow';
