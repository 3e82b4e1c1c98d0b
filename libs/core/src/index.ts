export * from './decider';
export * from './errors';
export * from './paging';
export * from './decider-spec';
export * from './request-context';
export * from './project-network';
export * from './environments';
export * from './env';
