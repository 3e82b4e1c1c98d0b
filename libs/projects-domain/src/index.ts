export * from './project.decider';
export * from './project-list.projection';
export * from './project-statistics';
export * from './projects-app';
export * from './environment.decider';
export * from './environment-list.projection';
