export * from './model';
export * from './commands';
export * from './events';
export * from './requests';
export * from './backups';
export * from './destinations';
export * from './public-events';
