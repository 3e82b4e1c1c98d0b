export { SlipwayClient, type Application, type Database, type Deployment, type Project, type WaitOptions } from './client';
export { SlipwayError } from './errors';
export { LogStream, type LogEvent } from './events';
export type { ClientOptions } from './http';
export type { components, operations, paths } from './generated/schema';
