export * from './signature';
export * from './payloads';
export * from './delivery.decider';
export * from './deliveries.projection';
export * from './webhooks-app';
export * from './endpoint.decider';
export * from './endpoints.projection';
export * from './endpoints-app';
