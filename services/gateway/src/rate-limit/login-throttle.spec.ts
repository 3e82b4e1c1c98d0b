import { AppError } from '@slipway/core';
import { memoryStore } from './limiter-store';
import { LoginThrottle } from './login-throttle';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottleSettings } from './settings';

const quiet = { log: () => undefined, warn: () => undefined };
const wrong = () => Promise.reject(new AppError('UNAUTHORIZED', 'Invalid username or password'));
const right = () => Promise.resolve('session');

function setup(overrides: Partial<LoginThrottleSettings> = {}, prefix = `lt-${Math.random()}`) {
  const waits: number[] = [];
  const headers: Record<string, string> = {};
  const throttle = new LoginThrottle(memoryStore(prefix), { ...DEFAULT_LOGIN_THROTTLE, ...overrides }, quiet, async (ms) => {
    waits.push(ms);
  });
  const reply = { header: (name: string, value: string) => (headers[name] = value) };
  const login = (username: string, check: () => Promise<string>, address = '10.0.0.1') => throttle.attempt(username, address, reply, check);
  return { throttle, waits, headers, login, reply };
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return (e as AppError).code;
  }
}

describe('LoginThrottle', () => {
  it('slows down after 3 failures, blocks after 10 with 429 and Retry-After, without checking the password', async () => {
    const { waits, headers, login } = setup();
    const results: string[] = [];
    for (let i = 0; i < 10; i++) results.push(await outcome(login('Ada', wrong)));
    expect(results).toEqual(Array(10).fill('UNAUTHORIZED'));
    expect(waits).toEqual([250, 500, 750, 1000, 1250, 1500, 1750]);

    let checked = false;
    const blocked = login('ada', async () => {
      checked = true;
      return 'session';
    });
    await expect(blocked).rejects.toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      message: 'Too many failed login attempts. Try again in 900 seconds',
      details: { limit: 10, remaining: 0, resetAt: expect.any(String) },
    });
    expect(checked).toBe(false);
    expect(headers['Retry-After']).toBe('900');
  });

  it('throttles unknown usernames exactly like real ones (the same key, whatever exists)', async () => {
    const a = setup({ maxFailuresPerAccount: 2 });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await outcome(a.login('nobody-here', wrong)));
    expect(results).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'RATE_LIMIT_EXCEEDED']);
  });

  it('resets the account after a success', async () => {
    const { waits, login } = setup({ maxFailuresPerAccount: 3, slowdownAfter: 1, slowdownStepMs: 100 });
    await outcome(login('ada', wrong));
    await outcome(login('ada', wrong));
    expect(await outcome(login('ada', right))).toBe('ok');
    waits.length = 0;
    // Fresh counter: three more failures are answered, not blocked, and the first is not slowed.
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await outcome(login('ada', wrong)));
    expect(results).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']);
    expect(waits).toEqual([100, 200]);
  });

  it('blocks an address trying many accounts, but not the same accounts from elsewhere', async () => {
    const { login } = setup({ maxFailuresPerAddress: 3 });
    const results = [];
    for (const name of ['a', 'b', 'c', 'd']) results.push(await outcome(login(name, wrong, '10.9.9.9')));
    expect(results).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'RATE_LIMIT_EXCEEDED']);
    expect(await outcome(login('d', right, '10.1.1.1'))).toBe('ok');
  });

  it('unblocks after blockSeconds', async () => {
    const { login } = setup({ maxFailuresPerAccount: 1, blockSeconds: 1, slowdownAfter: 10 });
    expect(await outcome(login('ada', wrong))).toBe('UNAUTHORIZED');
    expect(await outcome(login('ada', right))).toBe('RATE_LIMIT_EXCEEDED');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await outcome(login('ada', right))).toBe('ok');
  });

  it('does not count attempts that failed for another reason (identity down)', async () => {
    const { login } = setup({ maxFailuresPerAccount: 1 });
    const down = () => Promise.reject(new AppError('SERVICE_UNAVAILABLE', 'down'));
    for (let i = 0; i < 3; i++) expect(await outcome(login('ada', down))).toBe('SERVICE_UNAVAILABLE');
    expect(await outcome(login('ada', wrong))).toBe('UNAUTHORIZED');
    expect(await outcome(login('ada', right))).toBe('RATE_LIMIT_EXCEEDED');
  });

  it('counts parallel guesses before checking them, so a burst cannot slip past the limit', async () => {
    const { login } = setup({ maxFailuresPerAccount: 3, slowdownAfter: 100 });
    const results = await Promise.all(Array.from({ length: 8 }, () => outcome(login('ada', wrong))));
    expect(results.filter((r) => r === 'UNAUTHORIZED')).toHaveLength(3);
    expect(results.filter((r) => r === 'RATE_LIMIT_EXCEEDED')).toHaveLength(5);
  });

  it('counts what the caller calls a wrong password (a wrong currentPassword), on the same account as logins', async () => {
    const { throttle, login, reply } = setup({ maxFailuresPerAccount: 2, slowdownAfter: 100 });
    const wrongCurrent = () => Promise.reject(new AppError('FORBIDDEN', 'currentPassword is not correct', { field: 'currentPassword' }));
    const isWrong = (e: AppError) => e.code === 'FORBIDDEN' && e.details?.field === 'currentPassword';
    const change = (check: () => Promise<string>) => outcome(throttle.attempt('user:u-1', '10.0.0.1', reply, check, isWrong));
    expect(await change(wrongCurrent)).toBe('FORBIDDEN');
    // Another 403 (not about the password) is handed back, not counted.
    expect(await change(() => Promise.reject(new AppError('FORBIDDEN', 'API keys cannot change account settings')))).toBe('FORBIDDEN');
    expect(await outcome(login('user:u-1', wrong))).toBe('UNAUTHORIZED');
    expect(await outcome(login('user:u-1', right))).toBe('RATE_LIMIT_EXCEEDED');
    expect(await change(right)).toBe('RATE_LIMIT_EXCEEDED');
  });
});
