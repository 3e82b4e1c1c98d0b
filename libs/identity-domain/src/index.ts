export * from './user.decider';
export * from './users.projection';
export * from './identity-app';
export * from './audit';
