export * from './client';
export * from './errors';
export * from './streams';
export * from './usage';
