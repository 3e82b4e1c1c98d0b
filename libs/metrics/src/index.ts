export * from './registry';
export * from './exposition';
