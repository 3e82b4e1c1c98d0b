export * from './model';
export * from './commands';
export * from './events';
export * from './requests';
export * from './previews';
export * from './public-events';
