import { EVENT_CATALOGUE, WEBHOOK_EVENT_TYPES, isValidPattern, patternMatches, webhookTypeOf } from './event-catalogue';

describe('event catalogue', () => {
  it('given a public subject, when mapped, then the dotted lower-case webhook type', () => {
    expect(webhookTypeOf('slipway.events.deployments.DeploymentSucceeded')).toBe('deployment.succeeded');
    expect(webhookTypeOf('slipway.events.deployments.ApplicationCreated')).toBe('application.created');
    expect(webhookTypeOf('slipway.events.databases.BackupCompleted')).toBe('database.backup.completed');
    expect(webhookTypeOf('databases.BackupCompleted')).toBe('database.backup.completed');
    expect(webhookTypeOf('slipway.events.identity.TeamMemberRoleChanged')).toBe('team.member.role.changed');
  });

  it('given an event outside the catalogue (private or internal), then no webhook type', () => {
    expect(webhookTypeOf('slipway.events.identity.SessionStarted')).toBeUndefined();
    expect(webhookTypeOf('slipway.events.deployments.DeploymentStageStarted')).toBeUndefined();
    expect(webhookTypeOf('slipway.events.webhooks.EndpointCreated')).toBeUndefined();
  });

  it('maps every row to a distinct type derived from its source (one name per event)', () => {
    const types = Object.values(EVENT_CATALOGUE);
    expect(new Set(types).size).toBe(types.length);
    for (const type of types) expect(type).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    expect(WEBHOOK_EVENT_TYPES).toContain('webhook.ping');
  });

  it('given patterns, then * matches all, prefix.* matches below the prefix, others exactly', () => {
    expect(patternMatches('*', 'database.backup.completed')).toBe(true);
    expect(patternMatches('deployment.*', 'deployment.succeeded')).toBe(true);
    expect(patternMatches('database.*', 'database.backup.completed')).toBe(true);
    expect(patternMatches('deployment.*', 'deployments.x')).toBe(false);
    expect(patternMatches('deployment.*', 'application.created')).toBe(false);
    expect(patternMatches('deployment.succeeded', 'deployment.succeeded')).toBe(true);
    expect(patternMatches('deployment.succeeded', 'deployment.failed')).toBe(false);
  });

  it('given a pattern that matches nothing catalogued, then it is invalid', () => {
    expect(isValidPattern('*')).toBe(true);
    expect(isValidPattern('deployment.*')).toBe(true);
    expect(isValidPattern('database.backup.*')).toBe(true);
    expect(isValidPattern('application.created')).toBe(true);
    expect(isValidPattern('nothing.matches')).toBe(false);
    expect(isValidPattern('deploy*')).toBe(false);
    expect(isValidPattern('')).toBe(false);
  });
});
