export * from './user.decider';
export * from './users.projection';
export * from './identity-app';
export * from './audit';
export * from './invitation.decider';
export * from './registration';
export * from './mailer';
export { hashSecret, validateRegistration } from './accounts-model';
