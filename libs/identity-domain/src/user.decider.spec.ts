import { fold } from '@slipway/core';
import type { UserCommand, UserEvent } from '@slipway/identity-contracts';
import { userDecider } from './user.decider';

const metadata = { commandId: 'c', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1' };
const registered: UserEvent = {
  type: 'UserRegistered',
  data: { userId: 'u-1', username: 'ada', email: 'ada@example.com', passwordHash: 'h', roles: ['owner'], teamId: 't', registeredAt: metadata.now },
};
const started: UserEvent = { type: 'SessionStarted', data: { userId: 'u-1', sessionId: 's-1', expiresAt: '2026-01-08T00:00:00.000Z', startedAt: metadata.now } };
const decide = (events: UserEvent[], command: UserCommand) => userDecider.decide(command, fold(userDecider, events));

describe('user decider', () => {
  it('registers once', () => {
    const cmd: UserCommand = { type: 'RegisterUser', data: { userId: 'u-1', username: 'ada', email: 'ada@example.com', passwordHash: 'h', roles: ['owner'], teamId: 't' }, metadata };
    expect(decide([], cmd)).toEqual([registered]);
    expect(() => decide([registered], cmd)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('ends a started session once, then does nothing', () => {
    const end: UserCommand = { type: 'EndSession', data: { userId: 'u-1', sessionId: 's-1' }, metadata };
    const ended = decide([registered, started], end);
    expect(ended).toEqual([{ type: 'SessionEnded', data: { userId: 'u-1', sessionId: 's-1', expiresAt: started.data.expiresAt, endedAt: metadata.now } }]);
    expect(decide([registered, started, ...ended], end)).toEqual([]);
  });

  it('does not start sessions for unknown users', () => {
    expect(() => decide([], { type: 'StartSession', data: { userId: 'u-1', sessionId: 's', expiresAt: metadata.now }, metadata })).toThrow(
      expect.objectContaining({ code: 'UNAUTHORIZED' }),
    );
  });
});
