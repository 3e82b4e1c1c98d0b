export * from './contract';
export * from './transport-errors';
export * from './bus';
export * from './service-client';
export * from './events-stream';
export * from './outbox';
export { EventStoreOutboxSource, PgAdvisoryLock, outboxLockKey, type EventStoreLike } from './event-store-source';
export * from './subscribe';
export { followEvents, type FollowEventsOptions, type EventFollower } from './follow';
