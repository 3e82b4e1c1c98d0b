export * from './access';
export * from './teams';
export * from './api-keys';
export * from './users';
export * from './invitations';
export * from './public-events';
