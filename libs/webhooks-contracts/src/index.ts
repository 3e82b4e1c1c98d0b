export * from './events';
export * from './requests';
export * from './endpoints';
export * from './event-catalogue';
export * from './asyncapi';
export * from './public-events';
export { EVENT_DATA_SCHEMAS } from './generated/event-data-schemas';
