import { AppError } from '@slipway/core';
import type { SessionView } from '@slipway/identity-contracts';
import { SessionRegistry } from './session-registry';

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

/** Identity faked: the sessions it knows, and the ids it was asked about. */
function setup(sessions: Record<string, { userId: string; ended?: boolean }>, now?: () => number) {
  const asked: string[] = [];
  const registry = new SessionRegistry(async (sessionId): Promise<SessionView> => {
    asked.push(sessionId);
    await new Promise((r) => setTimeout(r, 5));
    const s = sessions[sessionId];
    if (!s) throw AppError.notFound('session', sessionId);
    return { sessionId, userId: s.userId, expiresAt: inAnHour(), ended: s.ended ?? false };
  }, now);
  return { registry, asked };
}

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: AppError) => e.code);

describe('SessionRegistry', () => {
  it('accepts a session it saw start without asking identity', async () => {
    const { registry, asked } = setup({});
    registry.remember('s-1', 'u-1', inAnHour());
    expect(await code(registry.check('s-1', 'u-1'))).toBe('ok');
    expect(asked).toEqual([]);
  });

  it('looks an unknown session up once, however many requests carry it', async () => {
    const { registry, asked } = setup({ 's-2': { userId: 'u-1' } });
    const results = await Promise.all(Array.from({ length: 5 }, () => code(registry.check('s-2', 'u-1'))));
    expect(results).toEqual(Array(5).fill('ok'));
    expect(await code(registry.check('s-2', 'u-1'))).toBe('ok');
    expect(asked).toEqual(['s-2']);
  });

  it('refuses a session that does not exist (remembering the miss), one of another user, and an ended one', async () => {
    const { registry, asked } = setup({ 's-3': { userId: 'u-2' }, 's-4': { userId: 'u-1', ended: true } });
    expect(await code(registry.check('nope', 'u-1'))).toBe('INVALID_TOKEN');
    expect(await code(registry.check('nope', 'u-1'))).toBe('INVALID_TOKEN');
    expect(await code(registry.check('s-3', 'u-1'))).toBe('INVALID_TOKEN');
    expect(await code(registry.check('s-4', 'u-1'))).toBe('INVALID_TOKEN');
    expect(await code(registry.check('s-4', 'u-1'))).toBe('INVALID_TOKEN');
    expect(asked).toEqual(['nope', 's-3', 's-4']);
  });

  it('asks again about a miss once its few seconds are over (a session may have started elsewhere since)', async () => {
    let clock = 1_000_000;
    const sessions: Record<string, { userId: string }> = {};
    const { registry, asked } = setup(sessions, () => clock);
    expect(await code(registry.check('s-7', 'u-1'))).toBe('INVALID_TOKEN');
    sessions['s-7'] = { userId: 'u-1' };
    expect(await code(registry.check('s-7', 'u-1'))).toBe('INVALID_TOKEN');
    clock += 5_001;
    expect(await code(registry.check('s-7', 'u-1'))).toBe('ok');
    expect(asked).toEqual(['s-7', 's-7']);
  });

  it('refuses a revoked session at once, even one it knew', async () => {
    const { registry } = setup({});
    registry.remember('s-5', 'u-1', inAnHour());
    registry.revoke('s-5', inAnHour());
    expect(await code(registry.check('s-5', 'u-1'))).toBe('INVALID_TOKEN');
  });

  it('passes an outage of identity on (503), and asks again next time', async () => {
    const asked: string[] = [];
    const registry = new SessionRegistry(async (sessionId) => {
      asked.push(sessionId);
      throw new AppError('SERVICE_UNAVAILABLE', 'identity is not answering');
    });
    expect(await code(registry.check('s-6', 'u-1'))).toBe('SERVICE_UNAVAILABLE');
    expect(await code(registry.check('s-6', 'u-1'))).toBe('SERVICE_UNAVAILABLE');
    expect(asked).toEqual(['s-6', 's-6']);
  });
});
