export * from './model';
export * from './commands';
export * from './events';
export * from './requests';
export * from './environments';
export * from './public-events';
